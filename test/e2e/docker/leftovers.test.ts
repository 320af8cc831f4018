/**
 * Nothing devenv made is left behind with no way to remove it: rm --volumes finds volumes and images
 * by their labels even when the container is gone, rebuilds remove the images they supersede, and
 * prune removes devenv's unused images and nobody else's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';

afterAll(async () => {
  await docker(['rm', '-f', 'lf-vol', 'lf-state', 'lf-super', 'lf-keep', 'lf-gone']);
});

/** Ids of the top-level images labelled as `name`'s, tagged or not. */
async function imagesOf(name: string, extra: string[] = []): Promise<string[]> {
  const out = await docker([
    'image',
    'ls',
    '-q',
    '--no-trunc',
    '--filter',
    `label=dev.devenv.name=${name}`,
    ...extra,
  ]);
  return [...new Set(out.stdout.split('\n').filter(Boolean))];
}

/** The classic builder, as devenv uses it on this engine. */
const CLASSIC = { DOCKER_BUILDKIT: '0' };

function edit(dir: string, from: string, to: string): void {
  const file = path.join(dir, 'devenv.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
}

describe.skipIf(noDocker)('leftovers on Docker', () => {
  it('rm --volumes after a plain rm -f still removes the volumes, found by their labels', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lf-vol', ['mounts: [{volume: cache, target: /cache}]']);
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await run(dir, env, ['rm', '-f'])).exitCode).toBe(0);
    const labels = await docker(['volume', 'inspect', '--format', '{{json .Labels}}', 'devenv-lf-vol-cache']);
    expect(labels.stdout).toContain('"dev.devenv.name":"lf-vol"');

    // From another folder, by name only: the labels are all there is to go on.
    const elsewhere = makeProject({});
    const removed = await run(elsewhere, env, ['rm', '-f', '--volumes', 'lf-vol']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('devenv-lf-vol-cache');
    expect((await docker(['volume', 'inspect', 'devenv-lf-vol-cache'])).exitCode).not.toBe(0);

    const again = await run(elsewhere, env, ['rm', '-f', '--volumes', 'lf-vol']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('there is no environment named lf-vol');
  });

  it('rm --volumes removes the :state image and the other images of the environment', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lf-state', ['mounts: [{volume: data, target: /data}]']);
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    // A change of run settings recreates the container on a commit of its files: devenv/lf-state:state.
    edit(
      dir,
      '{volume: data, target: /data}]',
      '{volume: data, target: /data}, {volume: more, target: /more}]',
    );
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', 'devenv/lf-state:state'])).exitCode).toBe(0);

    const removed = await run(dir, env, ['rm', '-f', '--volumes', '--json']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      removedContainer: true,
      removedVolumes: expect.arrayContaining(['devenv-lf-state-data', 'devenv-lf-state-more']),
      removedImages: expect.arrayContaining(['devenv/lf-state:state', 'devenv/lf-state:latest']),
    });
    expect((await docker(['image', 'inspect', 'devenv/lf-state:state'])).exitCode).not.toBe(0);
    expect(await imagesOf('lf-state')).toEqual([]);
  });

  it('a rebuild removes the image it supersedes once no container uses it', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lf-super', ['steps: [{run: "echo one > /v"}]']);
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    const first = await imagesOf('lf-super');
    expect(first).toHaveLength(1);

    // build while the container still runs the old image: that one stays, it is in use.
    edit(dir, 'echo one', 'echo two');
    expect((await run(dir, env, ['build'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', first[0] ?? ''])).exitCode).toBe(0);
    // up recreates the container on the new image (-y: no terminal to ask); now the old one goes.
    expect((await run(dir, env, ['up', '-d', '-y'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', first[0] ?? ''])).exitCode).not.toBe(0);

    edit(dir, 'echo two', 'echo three');
    expect((await run(dir, env, ['up', '-d', '-y'], { timeout: 240_000 })).exitCode).toBe(0);
    edit(dir, 'echo three', 'echo four');
    expect((await run(dir, env, ['up', '-d', '-y'], { timeout: 240_000 })).exitCode).toBe(0);
    expect(await imagesOf('lf-super', ['--filter', 'dangling=true'])).toEqual([]);
    expect(await imagesOf('lf-super')).toHaveLength(1);
  });

  it("prune removes devenv's unused images and leaves other users' images alone", async () => {
    const env = isolatedEnv();
    // Someone else's images on the shared engine: one dangling, one tagged and unused.
    const theirs = makeProject({
      Dockerfile: `FROM ${services.busyboxImage}\nLABEL owner=someone-else\nRUN echo first > /f\n`,
    });
    expect(
      (await docker(['build', '-q', '--network', 'none', '-t', 'someone/else:latest', theirs], CLASSIC))
        .exitCode,
    ).toBe(0);
    const dangling = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'someone/else:latest']))
      .stdout;
    writeFileSync(
      path.join(theirs, 'Dockerfile'),
      `FROM ${services.busyboxImage}\nLABEL owner=someone-else\nRUN echo second > /f\n`,
    );
    expect(
      (await docker(['build', '-q', '--network', 'none', '-t', 'someone/else:latest', theirs], CLASSIC))
        .exitCode,
    ).toBe(0);
    expect((await docker(['image', 'inspect', '--format', '{{.RepoTags}}', dangling])).stdout).toBe('[]');

    const keep = busyboxProject('lf-keep', []);
    expect((await run(keep, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    const gone = busyboxProject('lf-gone', ['steps: [{run: "echo gone > /g"}]']);
    expect((await run(gone, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    expect((await run(gone, env, ['rm', '-f'])).exitCode).toBe(0);

    const pruned = await run(keep, env, ['prune', '--json']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect((await docker(['image', 'inspect', 'devenv/lf-gone:latest'])).exitCode).not.toBe(0);
    expect((await docker(['image', 'inspect', 'devenv/lf-keep:latest'])).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', dangling])).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', 'someone/else:latest'])).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', services.busyboxImage])).exitCode).toBe(0);
    expect((await run(keep, env, ['exec', '--', 'true'])).exitCode).toBe(0);
  });
});
