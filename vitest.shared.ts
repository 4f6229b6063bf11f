import type { ViteUserConfig } from 'vitest/config';

/** Settings every package's vitest config shares. */
export const shared: NonNullable<ViteUserConfig['test']> = {
  include: ['test/**/*.test.ts'],
  // PGlite takes seconds to boot; servers and databases are real.
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // A machine-readable result per package, summed up by .ci/run.
  reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
};
