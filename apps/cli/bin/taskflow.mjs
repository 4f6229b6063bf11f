#!/usr/bin/env node
import { runApp } from '../../../scripts/app-entry.mjs';

await runApp(import.meta.url);
