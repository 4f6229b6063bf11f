import { defineConfig } from 'tsdown';
import { appBuild } from '../../tsdown.shared.ts';

export default defineConfig(appBuild(import.meta.dirname, { main: 'src/main.ts' }));
