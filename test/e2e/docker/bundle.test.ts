/**
 * save on one engine, load on another (a second dockerd with its own socket and data root standing in
 * for another PC): the file made in the container and the volume contents come back. The same file
 * also loads with plain `docker load`.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { startDockerd } from '../setup/services.js';
import { makeProject } from '../../helpers/project.js';
import { busyboxProject, docker, dockerAvailable, noDocker, isolatedEnv, run, services } from './env.js';

let other: Awaited<ReturnType<typeof startDockerd>>;

beforeAll(async () => {
  if (!dockerAvailable) return;
  other = await startDockerd(mkdtempSync(path.join(os.tmpdir(), 'devenv-pc2-')));
}, 120_000);

afterAll(async () => {
  if (other === undefined) return;
  process.kill(-(other.child.pid ?? 0), 'SIGTERM');
  await new Promise((r) => other?.child.once('exit', r));
});

describe.skipIf(noDocker)('save and load between two engines', () => {
  it('moves image, container state, volumes and config; plain docker load accepts the file', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject(
      'migrate',
      ['mounts: [".:/src", {volume: work, target: /work}]', 'env: {GREETING: hello}'],
      { 'code.c': 'int main(){}\n' },
    );
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo state > /root/made-inside; echo volume > /work/data',
    ]);

    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-bundle-')), 'migrate.tar');
    const saved = await run(dir, env, ['save', '-o', bundle, '--json']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({
      name: 'migrate',
      state: { committed: true },
      volumes: [{ name: 'work', target: '/work' }],
    });
    expect(statSync(bundle).size).toBeGreaterThan(100_000);

    // On "the other PC": a fresh engine, a fresh home, an empty folder.
    const env2 = { ...isolatedEnv(), DOCKER_HOST: other?.host ?? '' };
    const dir2 = makeProject({ 'a-file': 'not a folder' });
    // A project folder that cannot be made refuses the load before anything is restored.
    const blocked = await run(dir2, env2, ['-C', 'a-file/project', 'load', bundle]);
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain('cannot create or write the project folder');
    expect(blocked.stderr).toContain('a-file is a file, not a folder');
    const leftovers = await execa('docker', ['ps', '-aq', '--filter', 'label=dev.devenv.name=migrate'], {
      env: { DOCKER_HOST: other?.host ?? '' },
    });
    expect(leftovers.stdout).toBe('');
    const loaded = await run(dir2, env2, ['load', bundle]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(readFileSync(path.join(dir2, 'devenv.yml'), 'utf8')).toBe(
      readFileSync(path.join(dir, 'devenv.yml'), 'utf8'),
    );
    const up = await run(dir2, env2, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('building');
    const inside = await run(dir2, env2, [
      'exec',
      '--',
      'sh',
      '-c',
      'cat /root/made-inside /work/data; echo $GREETING; ls /src',
    ]);
    expect(inside.stdout.split('\n')).toEqual(['state', 'volume', 'hello', 'a-file', 'devenv.yml']);

    const again = await run(dir2, env2, ['load', bundle]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('an environment named migrate already exists here');

    // Plain docker on a third home: the bundle is a valid docker save archive.
    await execa('docker', ['rmi', '-f', 'devenv/migrate:latest'], {
      env: { DOCKER_HOST: other?.host ?? '' },
      reject: false,
    });
    const plain = await execa('docker', ['load', '-i', bundle], {
      env: { DOCKER_HOST: other?.host ?? '' },
      reject: false,
    });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('Loaded image: devenv/migrate:latest');
    const viaDocker = await execa(
      'docker',
      ['run', '--rm', '--network', 'none', 'devenv/migrate:latest', 'cat', '/root/made-inside'],
      { env: { DOCKER_HOST: other?.host ?? '' }, reject: false },
    );
    expect(viaDocker.stdout).toBe('state');
  });

  it('refuses a damaged bundle and leaves no environment behind', async () => {
    const env = isolatedEnv();
    const dir = makeProject({ 'broken.tar': 'this is not a tar archive at all'.repeat(100) });
    const result = await run(dir, env, ['load', 'broken.tar']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/broken\.tar: /);
    expect((await docker(['ps', '-a', '--filter', 'label=dev.devenv.name=broken', '-q'])).stdout).toBe('');
    expect(services.dockerHost).not.toBe('');
  });

  it('asks before honouring host access from another machine, and --yes allows it', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('hostly', ['mounts: ["/etc:/host-etc:ro"]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-bundle-')), 'hostly.tar');
    expect((await run(dir, env, ['save', '-o', bundle, '--no-state'])).exitCode).toBe(0);
    const env2 = { ...isolatedEnv(), DOCKER_HOST: other?.host ?? '' };
    const refused = await run(makeProject({}), env2, ['load', bundle]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('not restored: hostly asks for the host path /etc (read-only)');
    const allowed = await run(makeProject({}), env2, ['load', '--yes', '--name', 'hostly2', bundle]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
  });
});
