import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PGlite takes a few seconds to boot.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
