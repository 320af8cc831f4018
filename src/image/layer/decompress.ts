/**
 * Layer blobs are decompressed by their first bytes, not by the media type a manifest claims, because
 * Docker does the same (`docker load` accepts a gzip layer labelled as plain tar) and manifests lie.
 */
import { PassThrough, Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DevenvError } from '../../errors.js';
import { createZstdDecompress } from './zstd.js';

/** How a layer blob is compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Recognizes gzip (`1f 8b`) and zstd (`28 b5 2f fd`) by magic; anything else is taken as plain tar. */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]) => magic.every((byte, i) => head[i] === byte);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * Read size of compressed layer files, and zlib's output chunk size (its default is 16 KiB). With
 * 16 KiB chunks, gunzip of a 199 MB layer took 1.56 s here; with 1 MiB reads and 1 MiB chunks
 * 0.63 s: the difference goes to handing chunks around, not to inflating.
 */
export const LAYER_READ_CHUNK = 1024 * 1024;
const GUNZIP_CHUNK = 1024 * 1024;

/** A decompressor for `compression`; gzip accepts several concatenated members, as pigz writes. */
export function createDecompressor(compression: Compression): Duplex {
  if (compression === 'gzip') return zlib.createGunzip({ chunkSize: GUNZIP_CHUNK });
  if (compression === 'zstd') return createZstdDecompress();
  return new PassThrough();
}

/**
 * Turns a layer blob stream (gzip, zstd or plain tar) into the uncompressed tar stream. Errors of the
 * source or the decompressor surface on the returned stream; destroying the returned stream destroys
 * the source. Peeks at up to 4 bytes, waiting for more chunks if the first one is shorter. With
 * `required`, a blob compressed otherwise fails the stream.
 */
export function openLayerStream(source: Readable, required?: Compression): Readable {
  const output = new PassThrough();
  void (async () => {
    const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let length = 0;
    while (length < ZSTD_MAGIC.length) {
      const next = await iterator.next();
      if (next.done === true) break;
      head.push(next.value);
      length += next.value.length;
    }
    const first = Buffer.concat(head);
    const compression = detectCompression(first);
    if (required !== undefined && compression !== required)
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `the layer blob is ${compression === 'none' ? 'a plain tar' : `${compression}-compressed`}, not ${required === 'none' ? 'a plain tar' : required} as recorded`,
      );
    const rest = Readable.from(
      (async function* () {
        if (first.length > 0) yield first;
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
          yield next.value;
      })(),
      { objectMode: false },
    );
    await pipeline(rest, createDecompressor(compression), output);
  })().catch((error: unknown) => {
    output.destroy(error instanceof Error ? error : new Error(String(error)));
    // The source is read by hand above, so nothing else would close it (a file stream keeps its fd).
    source.destroy();
  });
  return output;
}
