/**
 * The synchronous tar block parser against tar-stream, the parser it replaced: the same headers
 * (names, PAX and GNU long-name overrides, types, sizes, base-256 numbers) and the same bodies for
 * every way the stream may be cut into chunks, and a refusal wherever tar-stream refuses.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { FileChunks } from '../../../src/image/layer/file-chunks.js';
import { ChunkReader, nextHeader, padding } from '../../../src/image/layer/tar-blocks.js';
import { readLayerEntries } from '../../../src/image/layer/tar-entries.js';
import { layerLimits } from '../../../src/image/layer/layer-limits.js';
import { makeTar } from '../../runtime/embedded/layers/helpers/fixtures.js';
import { END, paxEntry, rawEntry, rawHeader } from '../../runtime/embedded/layers/helpers/raw-tar.js';

interface Seen {
  name: string;
  type: string | null;
  mode: number;
  size: number;
  linkname: string | null;
  mtime: number;
  pax: Record<string, string> | null;
  body: string;
}

function chunked(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
  return chunks;
}

async function viaTarStream(data: Buffer): Promise<Seen[]> {
  const extract = tar.extract();
  const seen: Seen[] = [];
  Readable.from([data]).pipe(extract);
  for await (const entry of extract) {
    // devenv ignores PAX global headers, as Docker does.
    (extract as unknown as { _paxGlobal: unknown })._paxGlobal = null;
    const parts: Buffer[] = [];
    for await (const chunk of entry) parts.push(chunk as Buffer);
    // tar-stream's typings promise more than it decodes: a null type, linkname or pax.
    const h = entry.header as unknown as Omit<Seen, 'body' | 'mtime'> & { mtime: Date };
    seen.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      size: h.size,
      linkname: h.linkname,
      mtime: h.mtime.getTime(),
      pax: h.pax,
      body: Buffer.concat(parts).toString('latin1'),
    });
  }
  return seen;
}

async function viaBlocks(data: Buffer, chunkSize: number): Promise<Seen[]> {
  return viaReader(new ChunkReader(Readable.from(chunked(data, chunkSize))[Symbol.asyncIterator]()));
}

async function viaReader(reader: ChunkReader): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let h = await nextHeader(reader); h !== undefined; h = await nextHeader(reader)) {
    const size = h.type === 'directory' ? 0 : h.size;
    const parts: Buffer[] = [];
    for (let left = size; left > 0;) {
      const piece = await reader.piece(left);
      parts.push(Buffer.from(piece));
      left -= piece.length;
    }
    await reader.skip(padding(size));
    seen.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      size: h.size,
      linkname: h.linkname,
      mtime: h.mtime.getTime(),
      pax: h.pax,
      body: Buffer.concat(parts).toString('latin1'),
    });
  }
  return seen;
}

/** The same read from a file in place: each chunk's buffer is read into again RING chunks later. */
async function viaFile(data: Buffer, chunkSize: number): Promise<Seen[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-file-chunks-'));
  try {
    const file = path.join(dir, 'layer.tar');
    await writeFile(file, data);
    const chunks = new FileChunks(file, { chunkSize });
    return await viaReader(new ChunkReader(chunks[Symbol.asyncIterator]()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CHUNKS = [1, 7, 511, 512, 513, 4096, 1 << 20];

async function corpus(): Promise<Record<string, Buffer>> {
  const long = `${'deep/'.repeat(40)}file.txt`;
  const base256 = rawHeader({ name: 'big', typeflag: '0', size: 3 });
  // Size 3 in GNU base-256, with the checksum redone.
  base256.fill(0, 124, 136);
  base256[124] = 0x80;
  base256[135] = 3;
  base256.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of base256) sum += byte;
  base256.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return {
    'files, links, directories and a long name (PAX path)': await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hosts', content: '127.0.0.1 localhost\n' },
      { name: 'etc/empty', content: '' },
      { name: 'etc/big', content: Buffer.alloc(70_000, 7) },
      { name: 'etc/link', type: 'symlink', linkname: 'hosts' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/hosts' },
      { name: long, content: 'deep' },
      { name: 'x', type: 'symlink', linkname: 'y'.repeat(300) },
    ]),
    'GNU long names, PAX overrides, globals, old-style directories, zero blocks': Buffer.concat([
      rawEntry({ name: '././@LongLink', typeflag: 'L' }, `${'g/'.repeat(80)}name\0`),
      rawEntry({ name: 'short', typeflag: '0' }, 'gnu'),
      rawEntry({ name: '././@LongLink', typeflag: 'K' }, `${'t'.repeat(150)}\0`),
      rawEntry({ name: 'sym', typeflag: '2', linkname: 'short' }),
      paxEntry({ path: 'from/pax', linkpath: 'ignored', mtime: '12.5', 'SCHILY.xattr.user.a': 'v' }),
      rawEntry({ name: 'overridden', typeflag: '0' }, 'pax'),
      paxEntry({ comment: 'global' }, 'g'),
      Buffer.alloc(512),
      rawEntry({ name: 'old-dir/', typeflag: '\0' }),
      rawEntry({ name: 'dir-with-size', typeflag: '5' }),
      base256,
      Buffer.from('abc'.padEnd(512, '\0'), 'latin1'),
      rawEntry({ name: 'sparse', typeflag: 'S' }, 'x'),
      END,
    ]),
  };
}

describe('tar block parser', () => {
  it('reads every header and body as tar-stream does, however the stream is chunked', async () => {
    for (const [what, data] of Object.entries(await corpus())) {
      const expected = await viaTarStream(data);
      expect(expected.length, what).toBeGreaterThan(5);
      for (const size of CHUNKS)
        expect(await viaBlocks(data, size), `${what}, chunks of ${size}`).toEqual(expected);
    }
  });

  it('reads the same from a file in place, its buffers reused, however it is chunked', async () => {
    for (const [what, data] of Object.entries(await corpus())) {
      const expected = await viaTarStream(data);
      for (const size of CHUNKS)
        expect(await viaFile(data, size), `${what}, chunks of ${size}`).toEqual(expected);
    }
  });

  it('refuses what tar-stream refuses: truncation anywhere, a bad checksum, an unknown format', async () => {
    const data = await makeTar([
      { name: 'a', content: 'x'.repeat(700) },
      { name: 'b'.repeat(120), content: 'y' },
    ]);
    const ends = data.length - 1024;
    const cases: Record<string, Buffer> = {
      'mid-header': data.subarray(0, 100),
      'mid-body': data.subarray(0, 512 + 300),
      'in the padding': data.subarray(0, 512 + 800),
      'mid-PAX header': data.subarray(0, 1536 + 512 + 10),
      'before the last body': data.subarray(0, ends - 512),
      'bad checksum': Buffer.concat([rawEntry({ name: 'f', typeflag: '0', checksumDelta: 1 }, 'x'), END]),
      'unknown format': (() => {
        const block = rawEntry({ name: 'f', typeflag: '0' }, 'x');
        block.write('nope\0\0', 257, 'latin1');
        return Buffer.concat([block, END]);
      })(),
    };
    for (const [what, bytes] of Object.entries(cases)) {
      await expect(viaTarStream(bytes), what).rejects.toThrow();
      for (const size of [1, 512, 1 << 20])
        await expect(viaBlocks(bytes, size), `${what}, chunks of ${size}`).rejects.toMatchObject({
          code: 'DEVENV_ARCHIVE_INVALID',
        });
    }
  });

  it('refuses a metadata header above 4 MiB before reading it', async () => {
    const header = rawHeader({ name: 'PaxHeader', typeflag: 'x', size: 4 * 1024 * 1024 + 1 });
    await expect(viaBlocks(header, 512)).rejects.toMatchObject({ code: 'DEVENV_LIMIT' });
  });

  it('the entry reader skips unread bodies and refuses a body read after the next entry', async () => {
    const data = await makeTar([
      { name: 'a', content: 'x'.repeat(5000) },
      { name: 'b', content: 'second' },
    ]);
    const names: string[] = [];
    let stale: AsyncIterable<Buffer> | undefined;
    for await (const entry of readLayerEntries(Readable.from(chunked(data, 1000)), layerLimits())) {
      names.push(entry.name);
      if (entry.name === 'a') stale = entry.body;
      else {
        const parts: Buffer[] = [];
        for await (const chunk of entry.body) parts.push(chunk);
        expect(Buffer.concat(parts).toString()).toBe('second');
      }
    }
    expect(names).toEqual(['a', 'b']);
    const iterator = stale?.[Symbol.asyncIterator]();
    await expect(iterator?.next()).rejects.toThrow(/read after the next entry/);
  });
});
