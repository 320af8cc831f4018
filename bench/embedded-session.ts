/**
 * Warm sessions on the embedded runtime, against Docker on the same image and against the floor of
 * what devenv does (one bare `nsenter` into the container), in one run:
 * - `devenv exec -- true` vs `docker exec` of a running container and bare `nsenter … true`;
 * - `devenv up -d` with everything built and running (the no-op path) vs `docker start` of a
 *   running container, `node -e 0` (the floor of any Node program) and `devenv --version` (its start);
 * - `devenv up -d` of a stopped environment (a real start: monitor, mounts, main process) vs
 *   `docker start` of a stopped container;
 * - the peak resident memory of `exec` and of the no-op `up -d` against `node -e 0`'s.
 * When the embedded runtime cannot run containers here, the module fails with what devenv said.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compare } from './lib/compare.js';
import { devenvStart, NODE_FLOOR } from './lib/node-floor.js';
import { compareRss } from './lib/peak-rss.js';
import { busyboxConfig, devenvArgv, makeProject, setup } from './lib/project.js';
import type { BenchContext, Row } from './lib/types.js';

const NAME = 'bench-embedded-session';
const PEER = 'bench-embedded-session-peer';

/** The host pid of the container's PID 1, from the store's state file (for the nsenter floor). */
async function containerPid(store: string): Promise<number> {
  const dir = path.join(store, 'containers');
  for (const entry of await readdir(dir)) {
    const state = JSON.parse(
      await readFile(path.join(dir, entry, 'state.json'), 'utf8').catch(() => '{}'),
    ) as {
      pid?: number;
    };
    if (state.pid !== undefined) return state.pid;
  }
  throw new Error(`no running container in ${dir}`);
}

/** See the file comment. */
export async function bench(ctx: BenchContext): Promise<Row[]> {
  const project = await makeProject(ctx, 'embedded-session', { 'devenv.yml': busyboxConfig(ctx, NAME) });
  const store = path.join(ctx.workDir, 'embedded-session-store');
  const devenv = (args: string[]) =>
    devenvArgv(ctx, project, ['--runtime', 'embedded', '--root', store, ...args]);
  try {
    await setup(ctx, devenv(['up', '-d']));
  } catch (error) {
    throw new Error(
      `the embedded runtime could not start the environment, so there is nothing to time: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // The environment and the peer are removed whatever happens: the scratch folder goes after the
  // run, and a monitor left running would outlive its store.
  try {
    const image = ctx.services.images.busybox;
    await setup(ctx, ['docker', 'rm', '-f', PEER]).catch(() => '');
    await setup(ctx, ['docker', 'run', '-d', '--name', PEER, '--network', 'none', image, 'sleep', '1000000']);
    const pid = await containerPid(store);
    const exec = await compare(ctx, 'embedded warm exec `true`', { argv: devenv(['exec', '--', 'true']) }, [
      { name: 'docker exec', argv: ['docker', 'exec', PEER, 'true'] },
      {
        name: 'nsenter (floor)',
        argv: [
          'nsenter',
          `--target=${pid}`,
          '--mount',
          '--uts',
          '--ipc',
          '--pid',
          '--net',
          '--root',
          '--',
          '/bin/true',
        ],
      },
    ]);
    const up = await compare(ctx, 'embedded warm up -d (no-op)', { argv: devenv(['up', '-d']) }, [
      { name: 'docker start (running)', argv: ['docker', 'start', PEER] },
      NODE_FLOOR,
      devenvStart(ctx),
    ]);
    const rss = [
      await compareRss(ctx, 'embedded peak RSS, exec `true`', devenv(['exec', '--', 'true']), NODE_FLOOR),
      await compareRss(ctx, 'embedded peak RSS, up -d (no-op)', devenv(['up', '-d']), NODE_FLOOR),
    ];
    const start = await compare(
      ctx,
      'embedded start of a stopped environment',
      { argv: devenv(['up', '-d']), prepare: devenv(['stop', '-t', '0']) },
      [
        {
          name: 'docker start (stopped)',
          argv: ['docker', 'start', PEER],
          prepare: ['docker', 'stop', '-t', '0', PEER],
        },
      ],
    );
    return [...exec, ...up, ...rss, ...start];
  } finally {
    await setup(ctx, devenv(['rm', '-f'])).catch(() => '');
    await setup(ctx, ['docker', 'rm', '-f', PEER]).catch(() => '');
  }
}
