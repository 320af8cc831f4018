/**
 * Decompression by magic: gzip (also multi-member, as pigz writes), zstd (also several frames) and
 * plain tar. A zstd layer and its gzip twin, made with the real CLIs, must unpack identically.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyLayer,
  detectCompression,
  openLayerStream,
} from '../../../../src/runtime/embedded/layers/index.js';
import { isRoot, makeTar, scratch } from './helpers/fixtures.js';
import { treeListing } from './helpers/tree.js';
import { skipUnless } from '../../../helpers/requirements.js';

const hasCli = (bin: string) => {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const noZstd = skipUnless('zstd decoding against the zstd CLI', { zstd: hasCli('zstd') });
const noTwins = skipUnless('zstd and gzip twins', {
  root: isRoot,
  zstd: hasCli('zstd'),
  gzip: hasCli('gzip'),
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits `data` into one-byte chunks for the first few bytes, to exercise the magic peek. */
const dribble = (data: Buffer) => Readable.from([data.subarray(0, 1), data.subarray(1, 3), data.subarray(3)]);

let tmp: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('openLayerStream', () => {
  it('detects gzip, zstd and everything else by magic', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from('ustar'))).toBe('none');
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
  });

  it('passes plain tar through and decodes multi-member gzip, even in tiny first chunks', async () => {
    const data = Buffer.from('hello, layer '.repeat(1000));
    expect(await readAll(openLayerStream(dribble(data)))).toEqual(data);
    const twoMembers = Buffer.concat([
      zlib.gzipSync(data.subarray(0, 5000)),
      zlib.gzipSync(data.subarray(5000)),
    ]);
    expect(await readAll(openLayerStream(dribble(twoMembers)))).toEqual(data);
    expect(await readAll(openLayerStream(Readable.from([])))).toEqual(Buffer.alloc(0));
  });

  it.skipIf(noZstd)('decodes zstd with several frames and a skippable one (zstd:chunked style)', async () => {
    const data = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i}\n`).join(''));
    const zst = (part: Buffer) => execFileSync('zstd', ['-q', '-c', '-9'], { input: part });
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
    const frames = Buffer.concat([zst(data.subarray(0, 70000)), skippable, zst(data.subarray(70000))]);
    expect(await readAll(openLayerStream(dribble(frames)))).toEqual(data);
  });

  it('refuses a zstd frame declaring a 2 GiB window before allocating it', async () => {
    // Frame header: magic, descriptor 0 (no single segment), window descriptor 2^31, then a raw block.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x09, 0x00, 0x00, 0x61]);
    await expect(readAll(openLayerStream(Readable.from([frame])))).rejects.toMatchObject({
      code: 'DEVENV_LIMIT',
      message: /zstd window of 2147483648 bytes exceeds the limit of 134217728/,
    });
  });

  it.skipIf(noZstd)('accepts the largest window zstd makes without asking (--long=27)', async () => {
    const data = Buffer.from(Array.from({ length: 50000 }, (_, i) => `row ${i % 977}\n`).join(''));
    const zst = execFileSync('zstd', ['-q', '-c', '--long=27', '--no-content-size'], { input: data });
    expect(await readAll(openLayerStream(Readable.from([zst])))).toEqual(data);
  });

  it('reports corrupt zstd data', async () => {
    const bad = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00]), Buffer.alloc(64, 0xaa)]);
    await expect(readAll(openLayerStream(Readable.from([bad])))).rejects.toThrow(/zstd/);
  });
});

describe.skipIf(noTwins)('a zstd layer and its gzip twin', () => {
  it('unpack identically, with the same diff ID', async () => {
    const entries = [
      { name: 'etc/', type: 'directory' as const },
      { name: 'etc/motd', content: 'welcome\n'.repeat(100) },
      // Listed, so its mtime comes from the tar and not from the clock (unpacks may straddle a second).
      { name: 'bin/', type: 'directory' as const },
      { name: 'bin/tool', content: createHash('sha256').update('x').digest(), mode: 0o755 },
      { name: 'bin/alias', type: 'symlink' as const, linkname: 'tool' },
      { name: 'bin/hard', type: 'link' as const, linkname: 'bin/tool' },
    ];
    const tar = path.join(tmp.dir, 'layer.tar');
    await writeFile(tar, await makeTar(entries));
    execFileSync('zstd', ['-q', '-k', tar, '-o', `${tar}.zst`]);
    execFileSync('sh', ['-c', 'gzip -c "$1" > "$1.gz"', 'sh', tar]);
    const results = [];
    for (const file of [`${tar}.zst`, `${tar}.gz`, tar]) {
      const target = path.join(tmp.dir, path.basename(file).replace(/\./g, '-'));
      const applied = await applyLayer({ open: () => createReadStream(file), target });
      results.push({ diffId: applied.diffId, tree: await treeListing(target, { mtimes: true }) });
    }
    expect(results[0]).toEqual(results[2]);
    expect(results[1]).toEqual(results[2]);
    expect(results[2]!.tree).toHaveLength(6);
  });
});
