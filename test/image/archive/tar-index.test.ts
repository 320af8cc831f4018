/**
 * indexTar copies each regular file of an archive to a scratch file while hashing it, with several
 * writes in flight: a file of many chunks comes out byte for byte with the right digest, and a write
 * that fails (a full disk, a real 4 MiB tmpfs) fails the index with the filesystem's own error
 * instead of hanging or being lost among the writes still running.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { indexTar, indexTarFile } from '../../../src/image/archive/tar-index.js';

const noRoot = process.getuid?.() !== 0;
const dirs: string[] = [];
const mounts: string[] = [];

afterEach(async () => {
  for (const mount of mounts.splice(0)) await execa('umount', [mount]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-tar-index-'));
  dirs.push(dir);
  return dir;
}

/** An archive with `small.txt` and `big.bin` (`big`, written to the archive in 1 MiB pieces). */
function archive(big: Buffer): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'small.txt' }, 'small\n');
  const entry = pack.entry({ name: 'dir/big.bin', size: big.length }, (error) => {
    if (error === null || error === undefined) pack.finalize();
    else pack.destroy(error);
  });
  // Written in 1 MiB pieces (buffered by the entry), so the archive carries it in many chunks.
  const piece = 1 << 20;
  for (let offset = 0; offset + piece < big.length; offset += piece)
    entry.write(big.subarray(offset, offset + piece));
  entry.end(big.subarray(Math.floor((big.length - 1) / piece) * piece));
  // A Node stream, as the archive file's read stream is (tar-stream's own streams are streamx).
  const out = new PassThrough();
  pack.pipe(out);
  return out;
}

describe('indexTar', { timeout: 120_000 }, () => {
  it('copies a file of many chunks byte for byte, with its digest and size', async () => {
    const big = randomBytes(20 << 20);
    const scratch = path.join(tempDir(), 'files');
    mkdirSync(scratch);
    const index = await indexTar(archive(big), scratch);
    const entry = index.entries.get('dir/big.bin');
    if (entry?.type !== 'file') throw new Error(`big.bin indexed as ${JSON.stringify(entry)}`);
    expect(entry.size).toBe(big.length);
    expect(entry.digest).toBe(`sha256:${createHash('sha256').update(big).digest('hex')}`);
    expect(readFileSync(entry.file).equals(big)).toBe(true);
    const small = index.entries.get('small.txt');
    expect(small?.type === 'file' && readFileSync(small.file, 'utf8')).toBe('small\n');
  });

  it.skipIf(noRoot)('a full disk fails the index with ENOSPC (needs root for the tmpfs)', async () => {
    const scratch = path.join(tempDir(), 'small-fs');
    mkdirSync(scratch);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', scratch]);
    mounts.push(scratch);
    await expect(indexTar(archive(randomBytes(12 << 20)), scratch)).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});

describe('indexTarFile', { timeout: 120_000 }, () => {
  /** The archive of {@link archive} as a file. */
  async function archiveFile(big: Buffer): Promise<string> {
    const file = path.join(tempDir(), 'archive.tar');
    writeFileSync(file, await buffer(archive(big)));
    return file;
  }

  it('copies a file of many chunks byte for byte, with its digest and size, reporting progress', async () => {
    const big = randomBytes(5 * (1 << 20) + 123);
    const file = await archiveFile(big);
    const scratch = path.join(tempDir(), 'files');
    mkdirSync(scratch);
    const seen: number[] = [];
    const index = await indexTarFile(file, scratch, (bytes) => seen.push(bytes));
    const entry = index.entries.get('dir/big.bin');
    if (entry?.type !== 'file') throw new Error(`big.bin indexed as ${JSON.stringify(entry)}`);
    expect(entry.size).toBe(big.length);
    expect(entry.digest).toBe(`sha256:${createHash('sha256').update(big).digest('hex')}`);
    expect(readFileSync(entry.file).equals(big)).toBe(true);
    const small = index.entries.get('small.txt');
    expect(small?.type === 'file' && readFileSync(small.file, 'utf8')).toBe('small\n');
    expect(small?.type === 'file' && small.digest).toBe(
      `sha256:${createHash('sha256').update('small\n').digest('hex')}`,
    );
    // Several reports while the big file is copied, never going back, the last one the whole file.
    expect(seen.length).toBeGreaterThan(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(statSync(file).size);
  });

  it.skipIf(noRoot)('a full disk fails the index with ENOSPC (needs root for the tmpfs)', async () => {
    const file = await archiveFile(randomBytes(12 << 20));
    const scratch = path.join(tempDir(), 'small-fs');
    mkdirSync(scratch);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', scratch]);
    mounts.push(scratch);
    await expect(indexTarFile(file, scratch)).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});
