import { configDefaults, defineConfig } from 'vitest/config';

/** Tests of pure functions: they need no servers, so they run without the global set-up (seconds, not a minute). */
const PURE = ['test/unit/cleanup-*.test.ts', 'test/unit/batcher.test.ts', 'test/unit/manifest-memo.test.ts', 'test/unit/file-range.test.ts', 'test/auth/verifier-cache.test.ts', 'test/unit/temporal-connection.test.ts', 'test/unit/upstream-skip.test.ts', 'test/unit/stack-leftovers.test.ts', 'test/unit/pull-errors.test.ts'];
/** The cache's object stores: their files start what they need (SeaweedFS) themselves. */
const STORAGE = ['test/storage/*.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    // Two cores: files run two at a time, each with its own task queue and names.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // A project's global set-up runs only when one of its files is in the run.
    projects: [
      { extends: true, test: { name: 'pure', include: PURE } },
      { extends: true, test: { name: 'storage', include: STORAGE } },
      { extends: true, test: { name: 'stack', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...PURE, ...STORAGE], globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
