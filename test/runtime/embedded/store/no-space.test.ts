/**
 * A full disk, for real (docs/reliability.md, D1-D6): the store root on a tiny tmpfs. Each failure
 * is DEVENV_NO_SPACE naming the path (and the amounts where known), leaves nothing half-written under
 * a final name and no partial files, and the same operation succeeds once space is freed.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { exportImagesToFile, importArchive } from '../../../../src/runtime/embedded/archive/index.js';
import { checkStore, openStore } from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { legacyParts } from '../archive/helpers/archives.js';
import { childScript } from './helpers/child-runner.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import {
  cleanupDirs,
  freshStore,
  makeLayer,
  makeTar,
  sha256,
  storeImage,
  streamOf,
  tempDir,
} from './helpers/fixtures.js';
import { tarUnpacker } from './helpers/tar-unpacker.js';

afterAll(cleanupDirs);

const MiB = 1024 * 1024;

/** Runs `body` with a store on a fresh tmpfs of `sizeMiB`, unmounting afterwards. */
async function onTinyDisk(
  sizeMiB: number,
  body: (store: Store, mount: string) => Promise<void>,
): Promise<void> {
  const mount = tempDir('devenv-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', mount]);
  try {
    await body(await openStore({ root: path.join(mount, 'store'), unpack: tarUnpacker }), mount);
  } finally {
    execFileSync('umount', [mount]);
  }
}

/** Fills the filesystem of `dir` to the last byte; returns the filler to delete. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return filler;
}

function expectNothingPartial(store: Store): void {
  expect(readdirSync(store.paths.ingestDir)).toEqual([]);
  expect(readdirSync(store.paths.tmpDir)).toEqual([]);
  expect(readdirSync(store.paths.layersDir).filter((n) => n.startsWith('incomplete-'))).toEqual([]);
}

const noRoot = skipUnless('disk full on a real tmpfs (mounts)', { root: isRoot });

describe.skipIf(noRoot)('disk full (real tmpfs)', () => {
  it('a blob of known size that cannot fit is refused before its source is opened (D1, D6)', async () => {
    await onTinyDisk(1, async (store) => {
      const data = Buffer.alloc(2 * MiB, 7);
      let opened = false;
      const attempt = store.blobs.ingest({ digest: sha256(data), size: data.length }, () => {
        opened = true;
        return streamOf(data);
      });
      await expect(attempt).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
        message: expect.stringMatching(
          /not enough space for blob sha256:[a-f0-9]{64} in .*\/ingest \(need ~3\.0 MiB, free \d+(?:\.\d)? [KM]iB\)/,
        ) as unknown,
      });
      expect(opened).toBe(false);
      expectNothingPartial(store);
    });
  });

  it('ENOSPC in the middle of an ingest: clear error, no blob, no partial file; the rerun succeeds once space is freed (D1)', async () => {
    await onTinyDisk(4, async (store, mount) => {
      const filler = path.join(mount, 'filler');
      writeFileSync(filler, Buffer.alloc(3 * MiB));
      const data = Buffer.alloc(2 * MiB, 1);
      const digest = sha256(data);
      // No size given, so no preflight: the write itself hits the wall.
      await expect(store.blobs.ingest({ digest }, () => streamOf(data))).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
        message: expect.stringMatching(
          new RegExp(`^no space left on device writing blob ${store.blobs.path(digest)} \\(free `),
        ) as unknown,
      });
      expect(await store.blobs.has(digest)).toBe(false);
      expectNothingPartial(store);
      rmSync(filler);
      expect((await store.blobs.ingest({ digest }, () => streamOf(data))).existed).toBe(false);
      expect((await checkStore(store.root)).clean).toBe(true);
    });
  });

  it('ENOSPC while unpacking a layer: no layer, no incomplete leftover; the rerun succeeds (D2)', async () => {
    await onTinyDisk(3, async (store, mount) => {
      // 2.5 MiB of zeros gzip to a few KiB: the blob fits, its unpacked file does not.
      const layer = await makeLayer({ 'big.bin': '\0'.repeat(2.5 * MiB) });
      const filler = path.join(mount, 'filler');
      writeFileSync(filler, Buffer.alloc(MiB));
      await store.blobs.ingest({ digest: layer.digest }, () => streamOf(layer.blob));
      const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length };
      await expect(
        store.layers.create({ parent: undefined, blob, expectedDiffId: layer.diffId }),
      ).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
        message: expect.stringMatching(
          new RegExp(`^no space left on device unpacking layer ${layer.digest} into .*/layers/incomplete-`),
        ) as unknown,
      });
      expect(await store.layers.list()).toEqual([]);
      expectNothingPartial(store);
      rmSync(filler);
      expect(
        (await store.layers.create({ parent: undefined, blob, expectedDiffId: layer.diffId })).chainId,
      ).toBe(layer.diffId);
    });
  });

  it('ENOSPC while loading an archive: nothing tagged, nothing partial; the rerun succeeds (D1, D2, C3)', async () => {
    await onTinyDisk(6, async (store, mount) => {
      const layer = await makeLayer({ 'payload.bin': 'x'.repeat(1.5 * MiB) }, false);
      const archive = await makeTar(legacyParts([{ layers: [layer], tags: ['big:1'] }]).entries);
      const filler = path.join(mount, 'filler');
      writeFileSync(filler, Buffer.alloc(4.5 * MiB));
      await expect(importArchive(store, Readable.from([archive]))).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
      });
      expect(await store.refs.all()).toEqual({});
      expect(await store.images.list()).toEqual([]);
      expectNothingPartial(store);
      rmSync(filler);
      expect((await importArchive(store, Readable.from([archive]))).loaded).toEqual(['big:1']);
      expect((await checkStore(store.root)).clean).toBe(true);
    });
  });

  it('ENOSPC writing refs.json keeps the previous file (D3)', async () => {
    await onTinyDisk(2, async (store, mount) => {
      const { id } = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })], { tag: 'first:1' });
      const before = readFileSync(store.paths.refsFile, 'utf8');
      const filler = fill(mount);
      await expect(store.refs.set([{ name: 'second:1', id }])).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
        message: expect.stringContaining(`writing ${store.paths.refsFile}`) as unknown,
      });
      expect(readFileSync(store.paths.refsFile, 'utf8')).toBe(before);
      expect(readdirSync(store.root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      rmSync(filler);
      await store.refs.set([{ name: 'second:1', id }]);
      expect(Object.keys(await store.refs.all())).toHaveLength(2);
    });
  });

  it('saving to a target too small: refused up front, naming the destination, no partial file (D4, D6)', async () => {
    const store = await freshStore();
    await storeImage(store, [await makeLayer({ 'big.bin': 'y'.repeat(2 * MiB) })], { tag: 'big:1' });
    const target = tempDir('devenv-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', target]);
    try {
      const file = path.join(target, 'big.tar');
      await expect(exportImagesToFile(store, ['big:1'], file)).rejects.toMatchObject({
        code: 'DEVENV_NO_SPACE',
        message: expect.stringMatching(
          new RegExp(`not enough space to write ${file} in ${target} \\(need ~`),
        ) as unknown,
      });
      expect(readdirSync(target)).toEqual([]);
    } finally {
      execFileSync('umount', [target]);
    }
  });

  it('a file-size limit (EFBIG, RLIMIT_FSIZE) while saving is handled like a full disk (D5)', async () => {
    const store = await freshStore();
    await storeImage(
      store,
      // Uncompressed, so the archive (which carries layers as stored) is far above the limit.
      [await makeLayer({ 'big.bin': gzipSync(Buffer.alloc(10)).toString('hex').repeat(40_000) }, false)],
      { tag: 'big:1' },
    );
    const dir = tempDir();
    const file = path.join(dir, 'big.tar');
    mkdirSync(dir, { recursive: true });
    const { execa } = await import('execa');
    const result = await execa(
      'prlimit',
      ['--fsize=200000', process.execPath, childScript(), 'export', store.root, file, 'big:1'],
      { reject: false },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`DEVENV_NO_SPACE: file too large writing ${file}`));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
