/**
 * Hostile bundles on both runtimes: a real saved bundle with a flipped byte in a layer or in a volume
 * tar, cut short, or whose bundle.json points a volume outside its folder, is refused with
 * DEVENV_BUNDLE_INVALID naming the file, before anything is created or tagged: the runtime holds
 * the same images, containers and volumes as before, and the embedded store stays consistent.
 * (test/e2e/docker/bundle-trust.test.ts covers edited configs and references on Docker.)
 */
import { mkdtempSync, readFileSync, truncateSync, copyFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { editTar, readTar } from '../../helpers/tar-edit.js';
import { forEachRuntime } from '../conformance/runtimes.js';
import type { RuntimeUser } from '../conformance/runtimes.js';
import { ok, projectOn } from '../conformance/scenario.js';
import { cleanupSandboxes } from '../embedded/env.js';
import { expectStoreClean, tracesOf } from './traces.js';

afterAll(() => {
  cleanupSandboxes();
});

function tmpFile(name: string): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-hostile-')), name);
}

/** `data` with the byte in its middle inverted: same size, different digest. */
function flipped(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  const at = Math.floor(copy.length / 2);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

forEachRuntime('hostile bundles', ['containers'], (runtime) => {
  let user: RuntimeUser;
  let bundle = '';
  let bundleId = '';
  const name = `hostile-${runtime.name}`;

  beforeAll(async () => {
    user = runtime.user();
    const dir = projectOn(runtime, name, ['mounts: [{volume: work, target: /work}]']);
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo state > /root/made-inside; echo volume > /work/data',
    ]);
    bundle = tmpFile(`${name}.tar`);
    bundleId = (
      JSON.parse(await ok(user, dir, ['save', '-o', bundle, '--json'])) as { image: { id: string } }
    ).image.id;
  }, 600_000);

  /** Loads `poisoned` under a new name; expects a refusal naming it, with `message`, that changed nothing. */
  async function expectRefused(poisoned: string, message: RegExp | string): Promise<void> {
    const target = makeProject({});
    const before = await tracesOf(user, target);
    const loaded = await user.run(target, ['load', '--name', `${name}-2`, poisoned, '--json']);
    expect(loaded.exitCode, loaded.stdout + loaded.stderr).toBe(1);
    const error = JSON.parse(loaded.stdout) as { code: string; message: string };
    expect(error.code, error.message).toBe('DEVENV_BUNDLE_INVALID');
    expect(error.message.startsWith(`${poisoned}: `), error.message).toBe(true);
    expect(error.message).toMatch(message);
    const after = await tracesOf(user, target);
    expect(after).toEqual(before);
    expect(after.images.join('\n')).not.toContain(`devenv/${name}-2:`);
    expect(after.images.join('\n')).not.toContain(bundleId);
    await expectStoreClean(user, target);
  }

  it('a flipped byte in a layer blob is refused', async () => {
    const entries = await readTar(bundle);
    const manifest = JSON.parse(
      entries.find((e) => e.header.name === 'manifest.json')?.data.toString() ?? '[]',
    ) as { Layers: string[] }[];
    const top = manifest[0]?.Layers.at(-1);
    expect(top).toBeDefined();
    const poisoned = tmpFile('layer.tar');
    await editTar(bundle, poisoned, (entry, data) => (entry === top ? flipped(data) : undefined));
    await expectRefused(poisoned, /layer \d+ of the image .* does not match its digest/);
  });

  it('a flipped byte in a volume tar is refused', async () => {
    const poisoned = tmpFile('volume.tar');
    await editTar(bundle, poisoned, (entry, data) =>
      entry === 'devenv/volumes/work.tar' ? flipped(data) : undefined,
    );
    await expectRefused(poisoned, 'volume work is missing or does not match its digest');
  });

  it('a bundle cut short is refused', async () => {
    const poisoned = tmpFile('short.tar');
    copyFileSync(bundle, poisoned);
    truncateSync(poisoned, Math.floor(statSync(bundle).size / 2));
    await expectRefused(poisoned, /./);
  });

  it.each(['../x.tar', '/etc/passwd', 'devenv/volumes/../../x.tar'])(
    'bundle.json naming the volume file %s is refused',
    async (outside) => {
      const poisoned = tmpFile('outside.tar');
      await editTar(bundle, poisoned, (entry, data) =>
        entry === 'devenv/bundle.json'
          ? data.toString().replace('"devenv/volumes/work.tar"', JSON.stringify(outside))
          : undefined,
      );
      expect(readFileSync(poisoned).includes(JSON.stringify(outside))).toBe(true);
      await expectRefused(poisoned, 'bundle.json');
    },
  );
});
