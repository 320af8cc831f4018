/**
 * A bundle is verified whole before the engine sees any of it, and it can only tag the reference its
 * own bundle.json declares for the environment. Each case poisons a real saved bundle (tar-stream) and
 * checks the exit code, the message, and that no image or tag on the engine changed. Also: `build`
 * after `load` leaves the loaded environment alone, and a name clash is reported before any question.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { editTar } from '../../helpers/tar-edit.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';

/** Every image and tag on the engine, including untagged ones. */
async function engineImages(): Promise<string[]> {
  const listed = await docker(['images', '-a', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}}={{.ID}}']);
  return listed.stdout.split('\n').filter(Boolean).sort();
}

async function imageId(ref: string): Promise<string | undefined> {
  const inspected = await docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
  return inspected.exitCode === 0 ? inspected.stdout : undefined;
}

function tmpFile(name: string): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-trust-')), name);
}

describe.skipIf(noDocker)('a poisoned bundle changes nothing on the engine', () => {
  const env = isolatedEnv();
  let bundle = '';
  let bundleId = '';
  let ownId = '';

  beforeAll(async () => {
    const dir = busyboxProject('trusted', ['mounts: [{volume: work, target: /work}]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo volume > /work/data']);
    bundle = tmpFile('trusted.tar');
    const saved = await run(dir, env, ['save', '-o', bundle, '--json']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    bundleId = (JSON.parse(saved.stdout) as { image: { id: string } }).image.id;
    ownId = (await imageId('devenv/trusted:latest')) ?? '';
    expect(ownId).not.toBe('');
    expect(await imageId(bundleId)).toBeUndefined();
    expect((await docker(['tag', services.busyboxImage, 'somebase:1'])).exitCode).toBe(0);
  }, 300_000);

  /** Loads `poisoned` as `name` and expects a refusal with `message` that left the engine as it was. */
  async function expectRefused(poisoned: string, name: string, message: string): Promise<void> {
    const before = await engineImages();
    const somebase = await imageId('somebase:1');
    const result = await run(makeProject({}), env, ['load', '--name', name, poisoned]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('save it again on the source machine');
    expect(await engineImages()).toEqual(before);
    expect(await imageId('somebase:1')).toBe(somebase);
    expect(await imageId('devenv/trusted:latest')).toBe(ownId);
    expect(await imageId(`devenv/${name}:latest`)).toBeUndefined();
    expect(await imageId(bundleId)).toBeUndefined();
    expect((await docker(['volume', 'ls', '-q', '--filter', `name=devenv-${name}-`])).stdout).toBe('');
  }

  it('an edited devenv.yml is refused before the image is loaded', async () => {
    const poisoned = tmpFile('yml.tar');
    await editTar(bundle, poisoned, (name, data) =>
      name === 'devenv/devenv.yml' ? `${data.toString()}privileged: true\n` : undefined,
    );
    await expectRefused(poisoned, 'yml', 'devenv.yml is missing or does not match its digest');
  });

  it('a changed volume tar is refused before the image is loaded', async () => {
    const poisoned = tmpFile('vol.tar');
    await editTar(bundle, poisoned, (name, data) =>
      name === 'devenv/volumes/work.tar' ? Buffer.concat([data, Buffer.alloc(512, 1)]) : undefined,
    );
    await expectRefused(poisoned, 'vol', 'volume work is missing or does not match its digest');
  });

  it('bundle.json naming another image id is refused', async () => {
    const poisoned = tmpFile('id.tar');
    await editTar(bundle, poisoned, (name, data) =>
      name === 'devenv/bundle.json'
        ? data.toString().replace(bundleId, `sha256:${'0'.repeat(64)}`)
        : undefined,
    );
    await expectRefused(poisoned, 'otherid', 'the image in the archive is not the one bundle.json names');
  });

  it('bundle.json naming a base image as its reference is refused', async () => {
    const poisoned = tmpFile('ref.tar');
    await editTar(bundle, poisoned, (name, data) => {
      if (name === 'devenv/bundle.json')
        return data.toString().replace('devenv/trusted:latest', 'somebase:1');
      if (name === 'manifest.json') return data.toString().replace('devenv/trusted:latest', 'somebase:1');
      return undefined;
    });
    await expectRefused(poisoned, 'refname', 'image.ref');
  });

  it('manifest.json RepoTags naming a base image: refused with the rest, never honoured', async () => {
    const poisoned = tmpFile('repotags.tar');
    await editTar(bundle, poisoned, (name, data) => {
      if (name === 'manifest.json') return data.toString().replace('devenv/trusted:latest', 'somebase:1');
      if (name === 'repositories') return JSON.stringify({ somebase: { '1': bundleId.slice(7) } });
      if (name === 'devenv/devenv.yml') return `${data.toString()}# edited\n`;
      return undefined;
    });
    await expectRefused(poisoned, 'repotags', 'devenv.yml is missing or does not match its digest');
  });

  it('manifest.json RepoTags naming a base image in a valid bundle: only the environment is tagged', async () => {
    const poisoned = tmpFile('repotags-ok.tar');
    await editTar(bundle, poisoned, (name, data) => {
      if (name === 'manifest.json') return data.toString().replace('devenv/trusted:latest', 'somebase:1');
      if (name === 'repositories') return JSON.stringify({ somebase: { '1': bundleId.slice(7) } });
      return undefined;
    });
    const somebase = await imageId('somebase:1');
    const result = await run(makeProject({}), env, ['load', '--name', 'renamed', poisoned]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await imageId('somebase:1')).toBe(somebase);
    expect(await imageId('devenv/trusted:latest')).toBe(ownId);
    expect(await imageId('devenv/renamed:latest')).toBe(bundleId);
    const tags = (await engineImages()).filter((line) => line.endsWith(`=${bundleId}`));
    expect(tags).toEqual([`devenv/renamed:latest=${bundleId}`]);
  });
});

describe.skipIf(noDocker)('load and build on a loaded environment', () => {
  it('a name clash is reported before any question, and nothing is loaded', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('clash', ['mounts: ["/etc:/host-etc:ro"]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const bundle = tmpFile('clash.tar');
    expect((await run(dir, env, ['save', '-o', bundle])).exitCode).toBe(0);
    const before = await engineImages();
    const result = await run(makeProject({}), env, ['load', bundle]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain('an environment named clash already exists here');
    expect(result.stderr).not.toContain('asks for');
    expect(await engineImages()).toEqual(before);
  });

  it('build after load finds nothing to do; the loaded files survive the next up', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('reloaded', []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo state > /root/made-inside']);
    const bundle = tmpFile('reloaded.tar');
    const saved = await run(dir, env, ['save', '-o', bundle, '--json']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    const bundleId = (JSON.parse(saved.stdout) as { image: { id: string } }).image.id;
    expect((await run(dir, env, ['rm', '-f'])).exitCode).toBe(0);
    await docker(['rmi', 'devenv/reloaded:latest']);

    const dir2 = makeProject({});
    const loaded = await run(dir2, env, ['load', bundle]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(readFileSync(path.join(dir2, 'devenv.yml'), 'utf8')).toContain('name: reloaded');
    expect((await run(dir2, env, ['up', '-d'])).exitCode).toBe(0);

    const built = await run(dir2, env, ['build', '--json']);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ built: false, image: bundleId });
    expect(built.stderr).not.toContain('building');
    expect(await imageId('devenv/reloaded:latest')).toBe(bundleId);
    const status = await run(dir2, env, ['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ drift: 'in-sync' });
    const up = await run(dir2, env, ['up', '-d', '--json']);
    expect(JSON.parse(up.stdout)).toMatchObject({ action: 'running', built: false });
    expect((await run(dir2, env, ['exec', '--', 'cat', '/root/made-inside'])).stdout).toBe('state');

    // --no-cache still forces a build.
    const forced = await run(dir2, env, ['build', '--no-cache', '--json']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ built: true });
  });
});
