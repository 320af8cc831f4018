/**
 * D1, D2: a pull into a store on a small tmpfs (mounted as root here, unmounted after). A blob that
 * cannot fit is refused before it downloads; a layer that cannot fit fails mid-extract. Either way
 * the error is DEVENV_NO_SPACE naming the path, `doctor` calls the store clean, and the pull succeeds
 * once the filesystem is larger or the store has moved (`devenv storage move`) somewhere with room.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, devenv, devenvJson, sandbox, services } from './env.js';
import type { ListedImage, Sandbox } from './env.js';
import { lacks } from '../needs.js';

const mounts: string[] = [];
afterAll(async () => {
  for (const dir of mounts.splice(0)) await execa('umount', [dir], { reject: false });
  cleanupSandboxes();
});

/** A tmpfs of `size` at a new folder of `box`. */
async function tmpfs(box: Sandbox, size: string): Promise<string> {
  const dir = path.join(box.dir, 'small');
  mkdirSync(dir);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

async function expectCleanDoctor(box: Sandbox, bare = false): Promise<void> {
  const doctor = await devenv(box, ['doctor', '--json'], { bare });
  expect(doctor.exitCode, doctor.stdout).toBe(0);
  expect((JSON.parse(doctor.stdout) as { store: { issues: unknown[] } }).store.issues).toEqual([]);
}

// The Debian image: 82 MB of gzip that unpacks to 153 MB, so both limits are far from any rounding.
describe.skipIf(lacks('docker', 'registry', 'root', 'debian'))('embedded runtime: a full disk', () => {
  it('a blob that cannot fit is refused before downloading; after enlarging, the pull succeeds', async () => {
    const box = sandbox();
    const small = await tmpfs(box, '40m');
    const store = { ...box, root: path.join(small, 'store') };
    const full = await devenv(store, ['pull', services.debianImage, '--json']);
    expect(full.exitCode).toBe(1);
    expect(JSON.parse(full.stdout)).toMatchObject({ outcome: 'error', code: 'DEVENV_NO_SPACE' });
    expect(full.stderr).toMatch(
      new RegExp(
        `not enough space for blob sha256:[a-f0-9]{64} in ${store.root}/ingest \\(need ~[\\d.]+ MiB, free [\\d.]+ MiB\\)`,
      ),
    );
    expect(full.stderr).toContain('devenv storage move DIR');
    await expectCleanDoctor(store);
    await execa('mount', ['-o', 'remount,size=400m', small]);
    const again = await devenv(store, ['pull', services.debianImage]);
    expect(again.exitCode, again.stderr).toBe(0);
    await expectCleanDoctor(store);
  });

  it('a layer that cannot fit fails mid-extract, naming its path; after storage move the pull succeeds', async () => {
    const box = sandbox();
    const small = await tmpfs(box, '120m');
    const file = path.join(box.home, '.config', 'devenv', 'config.yml');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `runtime: embedded\nstorage: ${small}/store\n`);
    const full = await devenv(box, ['pull', services.debianImage], { bare: true });
    expect(full.exitCode).toBe(1);
    expect(full.stderr).toMatch(
      new RegExp(
        `no space left on device unpacking layer sha256:[a-f0-9]{64} into ${small}/store/layers/incomplete-[0-9a-f]+`,
      ),
    );
    await expectCleanDoctor(box, true);
    // Nothing half-unpacked stays behind: only the downloaded blob, which the rerun reuses.
    const { stdout } = await execa('find', [path.join(small, 'store', 'layers'), '-mindepth', '1']);
    expect(stdout).toBe('');

    const roomy = path.join(box.dir, 'disk', 'store');
    const moved = await devenv(box, ['storage', 'move', roomy], { bare: true });
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`runtime: embedded\nstorage: ${roomy}\n`);
    const again = await devenv(box, ['pull', services.debianImage], { bare: true });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/: already there$/m);
    expect((await devenvJson<ListedImage[]>(box, ['images'], { bare: true })).map((i) => i.tags)).toEqual([
      [services.debianImage],
    ]);
    await expectCleanDoctor(box, true);
  });
});
