import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects, each test file in exactly one (test/README.md says which goes where):
 * `unit` — files named `*.unit.test.ts`, which need no service: no global setup, nothing started;
 * `integration` — every other `*.test.ts`, with RGW and PostgreSQL from test/support/global-setup.ts.
 * `vitest run` runs both; `vitest run --project unit` (npm run test:unit) only the first.
 */
const UNIT_TESTS = 'test/**/*.unit.test.ts';
const ALL_TESTS = 'test/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: [UNIT_TESTS] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [ALL_TESTS],
          exclude: [...configDefaults.exclude, UNIT_TESTS],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
