import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The e2e files of one shard: those that drive the embedded runtime alone, plus some conformance
 * files; the other shard has the rest (the other conformance scenarios included). Measured in one
 * `npm test` run, this split gives the two shards about the same time.
 */
const EMBEDDED_SHARD = [
  'test/e2e/embedded/**/*.test.ts',
  'test/e2e/embedded-store/**/*.test.ts',
  'test/e2e/migration/**/*.test.ts',
  'test/e2e/runtime-choice.test.ts',
  // Conformance files (both runtimes) that even out the two shards' times.
  'test/e2e/conformance/watch.test.ts',
  'test/e2e/conformance/drift.test.ts',
  'test/e2e/conformance/volumes.test.ts',
  'test/e2e/conformance/network.test.ts',
  'test/e2e/conformance/devices.test.ts',
];

/** One e2e shard: its files, one at a time, with its own services (see below). */
function e2eShard(name: string, include: string[], exclude: string[] = []): TestProjectInlineConfiguration {
  return {
    test: {
      name,
      include,
      exclude,
      globalSetup: ['test/e2e/setup/global-setup.ts'],
      // Sandboxes carry the shard's name, so a shard's teardown stops only its own leftovers.
      env: { DEVENV_TEST_SHARD: name },
      // A test makes several builds; beside a CPU-heavy job each can take minutes.
      testTimeout: 900_000,
      hookTimeout: 600_000,
      fileParallelism: false,
    },
  };
}

export default defineConfig({
  test: {
    // Runs once for all projects: builds dist/ if it is stale and compiles the child-process helpers.
    globalSetup: ['test/setup/global-setup.ts'],
    // Vitest's default on 2 cores is one file at a time for the whole run. Most unit files wait on
    // fsync, locks and child processes, and e2e files on dockerd, so a few at once finish sooner.
    maxWorkers: 5,
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
      // The e2e files are two shards, each with its own dockerd and registries (its own global
      // setup) and one file at a time within a shard. Vitest puts the files of every project that
      // runs one file at a time into one queue, so `npm test` (test/run-suite.sh) runs the shards
      // in two vitest processes, where they overlap: most of an e2e file's time is spent waiting on
      // builds, daemons and timeouts. Separate engines keep one shard's prune or leftover checks
      // away from the other's images.
      e2eShard('e2e-embedded', EMBEDDED_SHARD),
      // Everything else, so a new e2e file always runs somewhere.
      e2eShard('e2e-docker', ['test/e2e/**/*.test.ts'], EMBEDDED_SHARD),
    ],
  },
});
