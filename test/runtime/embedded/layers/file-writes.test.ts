/**
 * The applier's regular files (src/runtime/embedded/layers/write-entry.ts): every byte, mode, owner
 * and time lands, later entries on the same name win, a hardlink shares its target's inode, and a
 * failure names its file with no descriptor left open. Written for a trial that finished small files
 * in a worker thread (measured slower, docs/embedded-runtime.md#applying-a-layer), and kept as the
 * contract any faster writer must meet (a second trial, large bodies written by the thread pool, was
 * measured slower too), from a stream's buffers and from a file's reused ones.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../../src/runtime/embedded/layers/index.js';
import { skipUnless } from '../../../helpers/requirements.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import type { FixtureEntry } from './helpers/fixtures.js';
import { sameInode } from './helpers/tree.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
let target: string;
beforeEach(async () => {
  tmp = await scratch();
  target = path.join(tmp.dir, 'layer');
});
afterEach(async () => {
  await tmp.cleanup();
});

const MiB = 1024 * 1024;
const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

/** Distinct bytes per file, so a body written to the wrong file or from a reused buffer shows. */
const bodyOf = (i: number, size: number): Buffer => {
  const body = Buffer.alloc(size + 4);
  for (let at = 0; at < size; at += 4) body.writeUInt32LE((i * 2_654_435_761 + at) >>> 0, at);
  return body.subarray(0, size);
};

/** The layer as the applier reads it: a stream, or a file read in place through reused buffers. */
async function blobOf(how: 'stream' | 'file', layer: Buffer) {
  if (how === 'stream') return opener(layer);
  const file = path.join(tmp.dir, 'blob.tar');
  await writeFile(file, layer);
  return { file };
}

describe('regular files of a layer', () => {
  it.each(['stream', 'file'] as const)(
    'writes every byte, mode and time of many files, small and over 1 MiB, from a %s',
    async (how) => {
      // Each size once (around a tar block and 1 MiB, the reader's chunk), then small ones.
      const sizes = [0, 1, 511, 512, 513, 4096, 65_537, MiB, MiB + 1];
      const entries: FixtureEntry[] = [];
      for (let i = 0; i < 700; i++)
        entries.push({
          name: `d${i % 7}/f${i}`,
          content: bodyOf(i, sizes[i] ?? 100 + (i % 900)),
          mode: [0o644, 0o600, 0o755, 0o4755, 0o2711][i % 5],
          mtime: new Date(1_600_000_000_000 + i * 1000),
        });
      const before = openDescriptors();
      const applied = await applyLayer({ open: await blobOf(how, await makeTar(entries)), target });
      expect(applied.entries).toBe(700);
      expect(openDescriptors()).toBe(before);
      for (const [i, entry] of entries.entries()) {
        const file = path.join(target, entry.name);
        const info = await lstat(file);
        expect((await readFile(file)).equals(entry.content as Buffer), entry.name).toBe(true);
        expect(info.mode & 0o7777, entry.name).toBe(entry.mode);
        expect(info.mtimeMs, entry.name).toBe(1_600_000_000_000 + i * 1000);
      }
    },
  );

  it('a later entry on the same name wins, and a hardlink shares the bytes of its target', async () => {
    // `a` and `b` are large: a writer that finishes their bodies later must still let the entries
    // after them replace and link the path.
    const big = bodyOf(1, 300 * 1024);
    const layer = await makeTar([
      { name: 'a', content: big },
      { name: 'a', content: 'second' },
      { name: 'b', content: big, mode: 0o640, mtime: new Date(1_500_000_000_000) },
      { name: 'c', type: 'link', linkname: 'b' },
      { name: 'd', content: 'a file, then a folder' },
      { name: 'd', type: 'directory' },
      { name: 'd/inside', content: 'below the folder' },
      { name: 'e/f', content: 'gone with its folder' },
      { name: 'e', type: 'symlink', linkname: 'd' },
    ]);
    await applyLayer({ open: opener(layer), target });
    expect(await readFile(path.join(target, 'a'), 'utf8')).toBe('second');
    expect((await readFile(path.join(target, 'c'))).equals(big)).toBe(true);
    expect(await sameInode(path.join(target, 'b'), path.join(target, 'c'))).toBe(true);
    expect((await lstat(path.join(target, 'c'))).mode & 0o7777).toBe(0o640);
    expect((await lstat(path.join(target, 'c'))).mtimeMs).toBe(1_500_000_000_000);
    expect((await lstat(path.join(target, 'd'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(target, 'd/inside'), 'utf8')).toBe('below the folder');
    expect((await lstat(path.join(target, 'e'))).isSymbolicLink()).toBe(true);
  });

  it('what a replaced folder held is gone for the entries after it', async () => {
    // A base layer's applier answers "what is there?" from what it made until something is removed;
    // `d/x` went with its folder, so `d/x/q` makes a folder there instead of calling it a file.
    const layer = await makeTar([
      { name: 'd', type: 'directory' },
      { name: 'd/x', content: 'a file in the first folder' },
      { name: 'd', content: 'the folder replaced by a file' },
      { name: 'd', type: 'directory' },
      { name: 'd/x/q', content: 'below a folder made for it' },
    ]);
    await applyLayer({ open: opener(layer), target });
    expect((await lstat(path.join(target, 'd/x'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(target, 'd/x/q'), 'utf8')).toBe('below a folder made for it');
  });

  it.skipIf(!isRoot)('owners are set before the mode, so setuid and setgid survive the chown', async () => {
    const layer = await makeTar([
      { name: 'su', content: 'x', uid: 1234, gid: 5678, mode: 0o6755 },
      { name: 'plain', content: 'y', uid: 42, gid: 43, mode: 0o640 },
      { name: 'big-su', content: bodyOf(2, 200 * 1024), uid: 1234, gid: 5678, mode: 0o6755 },
    ]);
    await applyLayer({ open: opener(layer), target });
    for (const name of ['su', 'big-su']) {
      const su = await lstat(path.join(target, name));
      expect([su.uid, su.gid, su.mode & 0o7777], name).toEqual([1234, 5678, 0o6755]);
    }
    const plain = await lstat(path.join(target, 'plain'));
    expect([plain.uid, plain.gid, plain.mode & 0o7777]).toEqual([42, 43, 0o640]);
  });

  const noRoot = skipUnless('a full disk on a real tmpfs (mount)', { root: isRoot });
  it.skipIf(noRoot)('a full disk fails the extraction naming the file, with nothing left open', async () => {
    const mount = path.join(tmp.dir, 'small');
    execFileSync('mkdir', [mount]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    try {
      const entries = Array.from({ length: 40 }, (_, i) => ({
        name: `f${i}`,
        content: bodyOf(i, 64 * 1024),
      }));
      const before = openDescriptors();
      const failed = await applyLayer({
        open: opener(await makeTar(entries)),
        target: path.join(mount, 'layer'),
      }).then(
        () => undefined,
        (error: unknown) => error as NodeJS.ErrnoException,
      );
      expect(failed?.code).toBe('ENOSPC');
      // The path the command boundary reports ("the disk is full: cannot write …").
      expect(failed?.path).toMatch(new RegExp(`^${mount}/layer\\.tmp-[^/]+/diff/f\\d+$`));
      expect(openDescriptors()).toBe(before);
      expect(readdirSync(mount)).toEqual([]);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
