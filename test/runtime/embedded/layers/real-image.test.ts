/**
 * Real root filesystems as layers: the busybox rootfs from the e2e setup and, when cached on this
 * machine, a debootstrapped Debian. Our extraction must match GNU tar's (`--numeric-owner -xpf`)
 * path by path: type, mode, owner, size, content and link target, and file mtimes. Device nodes are
 * the one deliberate difference.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer, computeDiffId } from '../../../../src/runtime/embedded/layers/index.js';
import { makeBusyboxTar } from '../../../e2e/setup/services.js';
import { isRoot, scratch } from './helpers/fixtures.js';
import { treeListing } from './helpers/tree.js';
import { skipBecause, skipUnless } from '../../../helpers/requirements.js';

const CACHE = '/var/tmp/devenv-test-cache';
const hasBusybox = existsSync('/usr/bin/busybox') || existsSync('/bin/busybox');
const noRoot = skipUnless('real root filesystems (chown, devices)', { root: isRoot });
const noBusybox = skipUnless('busybox rootfs extraction', { busybox: hasBusybox });

/** The newest cached Debian rootfs tarball, if the e2e setup made one on this machine. */
function cachedDebianTar(): string | undefined {
  if (!existsSync(CACHE)) return undefined;
  for (const date of readdirSync(CACHE).sort().reverse()) {
    const tar = path.join(CACHE, date, 'debian-bookworm-rootfs.tar');
    if (existsSync(tar)) return tar;
  }
  return undefined;
}

async function compareWithGnuTar(dir: string, tar: string): Promise<number> {
  const ours = path.join(dir, 'ours');
  const gnu = path.join(dir, 'gnu');
  await mkdir(dir, { recursive: true });
  await applyLayer({ open: () => createReadStream(tar), target: ours });
  await mkdir(gnu);
  execFileSync('tar', ['--numeric-owner', '-xpf', tar, '-C', gnu]);
  const withoutDevices = (lines: string[]) => lines.filter((line) => !/ (char|block) /.test(line));
  const expected = withoutDevices(await treeListing(gnu, { mtimes: true, root: true }));
  expect(await treeListing(ours, { mtimes: true, root: true })).toEqual(expected);
  return expected.length;
}

describe.skipIf(noRoot)('real root filesystems (needs root for chown and devices)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it.skipIf(noBusybox)('busybox rootfs extracts exactly like GNU tar', async () => {
    const tar = makeBusyboxTar(tmp.dir);
    const count = await compareWithGnuTar(path.join(tmp.dir, 'busybox'), tar);
    expect(count).toBeGreaterThan(250);
  });

  it('the diff ID is the sha256 of the uncompressed tar', async () => {
    const tar = makeBusyboxTar(tmp.dir);
    const expected = `sha256:${execFileSync('sha256sum', [tar]).toString().split(' ')[0]}`;
    const gz = path.join(tmp.dir, 'busybox.tar.gz');
    execFileSync('sh', ['-c', 'gzip -c "$1" > "$2"', 'sh', tar, gz]);
    expect((await computeDiffId(createReadStream(gz))).diffId).toBe(expected);
    const applied = await applyLayer({ open: () => createReadStream(gz), target: path.join(tmp.dir, 'gz') });
    expect(applied.diffId).toBe(expected);
  });

  const debian = cachedDebianTar();
  const noDebian = skipBecause(
    'Debian rootfs extraction',
    debian === undefined ? 'no cached rootfs' : undefined,
  );
  it.skipIf(noDebian)(
    'debootstrapped Debian rootfs (cached by the e2e setup, else skipped) extracts exactly like GNU tar',
    async () => {
      const count = await compareWithGnuTar(path.join(tmp.dir, 'debian'), debian!);
      expect(count).toBeGreaterThan(5000);
    },
    120_000,
  );
});
