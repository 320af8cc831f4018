/**
 * The Docker runtime's change source on the real engine: starting and stopping a container that
 * carries devenv's name label is reported with that name within seconds; a container without it is
 * not reported at all; and the stream ends when the watch is aborted. Both sources: the Engine API
 * on the local socket and `docker events`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { waitFor } from '../../helpers/wait-for.js';
import { docker, noDocker, services } from './env.js';

const DEVENV = 'ev-devenv';
const OTHER = 'ev-other';

afterAll(async () => {
  await docker(['rm', '-f', DEVENV, OTHER]);
});

describe.skipIf(noDocker)('Docker change events', () => {
  // The Engine API's /events on the local socket, and `docker events` where the CLI is used.
  it.each(['api', 'cli'])(
    'reports start and stop of a devenv container by its environment name, and nothing for others (%s)',
    async (via) => {
      await docker(['rm', '-f', DEVENV, OTHER]);
      for (const [name, labels] of [
        [DEVENV, ['--label', `dev.devenv.name=${DEVENV}-env`]],
        [OTHER, []],
      ] as const) {
        const created = await docker([
          'create',
          '--name',
          name,
          '--network',
          'none',
          ...labels,
          services.busyboxImage,
          'sleep',
          '600',
        ]);
        expect(created.exitCode, created.stderr).toBe(0);
      }
      const runtime = new DockerRuntime({
        binary: 'docker',
        env: {
          DOCKER_HOST: services.dockerHost,
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          ...(via === 'cli' ? { DEVENV_DOCKER_API: '0' } : {}),
        },
      });
      expect(runtime.usesEngineApi).toBe(via === 'api');
      const seen: (string | undefined)[] = [];
      const controller = new AbortController();
      const done = runtime.watchChanges(controller.signal, (name) => seen.push(name));
      try {
        // The stream is up once an event of ours arrives: start the devenv container until one does.
        await waitFor(
          async () => {
            await docker(['start', DEVENV]);
            return seen.includes(`${DEVENV}-env`);
          },
          'the start event',
          30_000,
        );
        expect((await docker(['start', OTHER])).exitCode).toBe(0);
        expect((await docker(['stop', '-t', '0', OTHER])).exitCode).toBe(0);

        const before = seen.length;
        expect((await docker(['stop', '-t', '0', DEVENV])).exitCode).toBe(0);
        await waitFor(() => seen.length > before, 'the stop event', 10_000);
        // The other container's events came before this stop: had any been reported, they would be here.
        expect(new Set(seen)).toEqual(new Set([`${DEVENV}-env`]));
      } finally {
        controller.abort();
      }
      await expect(done).resolves.toBeUndefined();
    },
    120_000,
  );
});
