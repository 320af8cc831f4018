import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Runs once for all projects: builds dist/ if it is stale and compiles the child-process helpers.
    globalSetup: ['test/setup/global-setup.ts'],
    // Vitest's default on 2 cores is one file at a time for the whole run. Most unit files wait on
    // fsync, locks and child processes, and e2e files on dockerd, so a few at once finish sooner.
    maxWorkers: 4,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ['test/e2e/**'],
          // Many "unit" tests drive real stores: fsync, flock and child processes. On a busy 2-core
          // machine (CI runs them beside a CPU-heavy job) one of those takes tens of seconds; a test
          // that hangs still fails, just later.
          testTimeout: 90_000,
          hookTimeout: 120_000,
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/setup/global-setup.ts'],
          // A test makes several builds; beside a CPU-heavy job each can take minutes.
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
