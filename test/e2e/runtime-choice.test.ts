/**
 * Which runtime an environment lives on: `auto` picks the embedded runtime here (root, namespaces,
 * util-linux), an environment remembers its runtime, one made on Docker before runtimes were recorded
 * is still found there, `ls` lists both, and `devenv move` takes an environment (its files, volumes
 * and env) from one runtime to the other and back, leaving nothing behind on the side it left.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devenv } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { makeProject } from '../helpers/project.js';
import { docker, services } from './docker/env.js';
import { cleanupSandboxes, sandbox } from './embedded/env.js';
import { lacks } from './needs.js';

afterAll(cleanupSandboxes);

/** A user with an embedded store and the private dockerd, and no runtime setting: auto decides. */
function user() {
  const box = sandbox();
  const env = { ...box.env, DOCKER_HOST: services.dockerHost };
  const run = (cwd: string, args: readonly string[], extra: Record<string, string> = {}) =>
    devenv(['--root', box.root, ...args], { cwd, env: { ...env, ...extra } });
  return { box, env, run };
}

async function ok(result: Promise<CliResult>): Promise<string> {
  const done = await result;
  expect(done.exitCode, `${done.stdout}\n${done.stderr}`).toBe(0);
  return done.stdout.trim();
}

function project(name: string, lines: string[] = []): string {
  return makeProject({
    'devenv.yml': [
      `name: ${name}`,
      `base: ${services.busyboxImage}`,
      'network: none',
      'mounts: [{volume: data, target: /data}]',
      'env: {GREETING: from-devenv-yml}',
      ...lines,
    ].join('\n'),
  });
}

interface Listed {
  name: string;
  runtime: string;
  state: string;
}

async function listed(u: ReturnType<typeof user>, dir: string): Promise<Listed[]> {
  return JSON.parse(await ok(u.run(dir, ['--json', 'ls']))) as Listed[];
}

function recordOf(u: ReturnType<typeof user>, name: string): string | undefined {
  const file = path.join(u.box.home, '.local', 'state', 'devenv', 'envs', name, 'runtime.json');
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { runtime: string }).runtime
    : undefined;
}

describe.skipIf(lacks('docker', 'registry'))('choosing a runtime', () => {
  it('auto puts a new environment on the embedded runtime here, records it, and doctor says why', async () => {
    const u = user();
    const dir = project('choice-auto');
    await ok(u.run(dir, ['up', '-d']));
    expect(recordOf(u, 'choice-auto')).toBe('embedded');
    expect(await listed(u, dir)).toContainEqual(
      expect.objectContaining({ name: 'choice-auto', runtime: 'embedded', state: 'running' }),
    );
    expect((await docker(['ps', '-a', '--filter', 'name=^choice-auto$', '-q'])).stdout).toBe('');
    const doctor = await u.run(dir, ['doctor']);
    expect(doctor.stdout).toMatch(/auto picks\s+embedded: the embedded runtime can run containers here/);
    await ok(u.run(dir, ['rm', '-f', '--volumes']));
    expect(recordOf(u, 'choice-auto')).toBeUndefined();
  });

  it('an environment made on Docker stays there, recorded or not, and ls lists both runtimes', async () => {
    const u = user();
    const onDocker = project('choice-legacy');
    await ok(u.run(onDocker, ['--runtime', 'docker', 'up', '-d']));
    expect(recordOf(u, 'choice-legacy')).toBe('docker');
    // As if devenv had made it before environments recorded their runtime.
    rmSync(path.join(u.box.home, '.local', 'state', 'devenv', 'envs', 'choice-legacy', 'runtime.json'));
    const status = JSON.parse(await ok(u.run(onDocker, ['--json', 'status']))) as Listed;
    expect(status).toMatchObject({ runtime: 'docker', state: 'running' });
    expect(await ok(u.run(onDocker, ['exec', '--', 'sh', '-c', 'echo $GREETING']))).toBe('from-devenv-yml');
    const onEmbedded = project('choice-new');
    await ok(u.run(onEmbedded, ['up', '-d']));
    const all = await listed(u, onEmbedded);
    expect(all).toContainEqual(expect.objectContaining({ name: 'choice-legacy', runtime: 'docker' }));
    expect(all).toContainEqual(expect.objectContaining({ name: 'choice-new', runtime: 'embedded' }));
    // --runtime narrows ls to that runtime.
    const embeddedOnly = JSON.parse(
      await ok(u.run(onEmbedded, ['--json', '--runtime', 'embedded', 'ls'])),
    ) as Listed[];
    expect(embeddedOnly.map((e) => e.name)).toEqual(['choice-new']);
    await ok(u.run(onDocker, ['rm', '-f', '--volumes']));
    await ok(u.run(onEmbedded, ['rm', '-f', '--volumes']));
  });

  it('devenv move takes files, volumes and env to Docker and back, and leaves nothing behind', async () => {
    const u = user();
    const name = 'choice-move';
    const dir = project(name);
    await ok(u.run(dir, ['up', '-d']));
    await ok(
      u.run(dir, ['exec', '--', 'sh', '-c', 'echo made-inside > /root/made; echo in-volume > /data/v']),
    );
    const there = await u.run(dir, ['move', '--to', 'docker']);
    expect(there.exitCode, there.stderr).toBe(0);
    expect(there.stderr).toContain(
      `moved ${name} from embedded to docker with volumes data; it is running again`,
    );
    expect(recordOf(u, name)).toBe('docker');
    expect((await docker(['inspect', '--format', '{{.State.Running}}', name])).stdout).toBe('true');
    const check = 'cat /root/made /data/v; echo $GREETING';
    expect(await ok(u.run(dir, ['exec', '--', 'sh', '-c', check]))).toBe(
      'made-inside\nin-volume\nfrom-devenv-yml',
    );
    // Nothing of it is left on the embedded runtime: no container, volume or image.
    const embedded = ['--runtime', 'embedded'];
    expect(JSON.parse(await ok(u.run(dir, [...embedded, '--json', 'ls'])))).toEqual([]);
    expect(await ok(u.run(dir, [...embedded, 'images']))).not.toContain(`devenv/${name}`);
    expect(JSON.parse(await ok(u.run(dir, [...embedded, '--json', 'doctor']))).store.issues).toEqual([]);

    await ok(u.run(dir, ['exec', '--', 'sh', '-c', 'echo changed-on-docker >> /root/made']));
    const back = await u.run(dir, ['move', '--to', 'embedded']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(recordOf(u, name)).toBe('embedded');
    expect(await ok(u.run(dir, ['exec', '--', 'sh', '-c', check]))).toBe(
      'made-inside\nchanged-on-docker\nin-volume\nfrom-devenv-yml',
    );
    expect((await docker(['ps', '-a', '--filter', `name=^${name}$`, '-q'])).stdout).toBe('');
    expect((await docker(['volume', 'ls', '-q', '--filter', `name=devenv-${name}-`])).stdout).toBe('');
    expect((await docker(['images', '-q', `devenv/${name}`])).stdout).toBe('');
    await ok(u.run(dir, ['rm', '-f', '--volumes']));
  });

  it('a move that fails part-way leaves the environment where it was, running, and nothing on the other side', async () => {
    const u = user();
    const name = 'choice-move-fail';
    const dir = project(name);
    await ok(u.run(dir, ['up', '-d']));
    await ok(u.run(dir, ['exec', '--', 'sh', '-c', 'echo kept > /root/made']));
    const failed = await u.run(dir, ['move', '--to', 'docker'], {
      DEVENV_FAILPOINTS: 'bundle.load.after-image:throw=EIO',
    });
    expect(failed.exitCode).not.toBe(0);
    expect(recordOf(u, name)).toBe('embedded');
    expect(await ok(u.run(dir, ['exec', '--', 'cat', '/root/made']))).toBe('kept');
    expect((await docker(['ps', '-a', '--filter', `name=^${name}$`, '-q'])).stdout).toBe('');
    expect((await docker(['volume', 'ls', '-q', '--filter', `name=devenv-${name}-`])).stdout).toBe('');
    expect((await docker(['images', '-q', '--filter', `label=dev.devenv.name=${name}`])).stdout).toBe('');
    await ok(u.run(dir, ['rm', '-f', '--volumes']));
  });

  it('move refuses the runtime it is on, and a devenv.yml that pins the other one', async () => {
    const u = user();
    const dir = project('choice-pinned', ['runtime: embedded']);
    await ok(u.run(dir, ['up', '-d']));
    const same = await u.run(dir, ['move', '--to', 'embedded']);
    expect(same.exitCode).toBe(2);
    expect(same.stderr).toContain('choice-pinned already lives on the embedded runtime');
    const pinned = await u.run(dir, ['move', '--to', 'docker']);
    expect(pinned.exitCode).toBe(2);
    expect(pinned.stderr).toContain('says runtime: embedded');
    expect(pinned.stderr).toContain('change runtime: to docker');
    await ok(u.run(dir, ['rm', '-f', '--volumes']));
  });
});
