/**
 * Opening a layer blob file as its uncompressed tar stream, choosing by magic bytes rather than media
 * type (moby's compression.DecompressStream), through the layer decompression module.
 */
import { createReadStream } from 'node:fs';
import { open } from '../../util/fs-async.js';
import type { Readable } from 'node:stream';
import { createDecompressor, LAYER_READ_CHUNK, detectCompression } from './decompress.js';
import type { Compression } from './decompress.js';

/** Opens a (possibly compressed) layer blob file and returns its uncompressed tar bytes. */
export type Decompressor = (file: string) => Promise<Readable>;

export type { Compression } from './decompress.js';

/** Reads the first four bytes of `file` and names its compression. */
export async function detectFileCompression(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return detectCompression(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * The built-in {@link Decompressor}: gzip, zstd and plain tar, chosen by magic bytes. The magic is
 * read from the file first, so the body is piped straight from 1 MiB reads into the decompressor.
 */
export const decompressByMagic: Decompressor = async (file) => {
  const decompressor = createDecompressor(await detectFileCompression(file));
  const source = createReadStream(file, { highWaterMark: LAYER_READ_CHUNK });
  // Errors of either side end the returned stream; destroying it closes the file.
  source.on('error', (error) => decompressor.destroy(error));
  decompressor.on('close', () => source.destroy());
  return source.pipe(decompressor);
};
