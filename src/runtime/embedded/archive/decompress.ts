/**
 * Opening a layer blob as its uncompressed tar stream, choosing by magic bytes rather than media type
 * (moby's compression.DecompressStream): gzip via node:zlib, plain tar as is.
 *
 * The seam: zstd comes from the layer applier's decompression module (src/runtime/embedded/layers/,
 * built separately). Until it is plugged in through the `decompress` option of import and export,
 * a zstd blob fails with a clear DEVENV_UNSUPPORTED error.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DevenvError } from '../../../errors.js';

/** Opens a (possibly compressed) layer blob file and returns its uncompressed tar bytes. */
export type Decompressor = (file: string) => Promise<Readable>;

/** The compression a blob's first bytes announce. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** Reads the first four bytes of `file` and names its compression. */
export async function detectCompression(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/** The built-in {@link Decompressor}: gzip and plain tar. */
export const decompressByMagic: Decompressor = async (file) => {
  const compression = await detectCompression(file);
  if (compression === 'zstd') {
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `${file} is zstd-compressed, which this build cannot decompress yet`,
      {
        hint: 'zstd support arrives with the layer applier; recompress the layer with gzip meanwhile.',
      },
    );
  }
  const raw = createReadStream(file);
  if (compression === 'none') return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
};
