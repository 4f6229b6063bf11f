import { defineConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.ts';

// One file at a time: each starts the whole product, and a build (turbo rewrites
// apps/*/dist even on a cache hit) must not run while another file's services load it.
export default defineConfig({ test: { ...shared, fileParallelism: false } });
