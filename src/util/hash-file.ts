/** sha256 digests of files and bytes, as `sha256:<hex>`. */
import { crypto } from './crypto.js';
import { createReadStream } from 'node:fs';
import { FILE_READ_CHUNK } from './read-chunk.js';

/** `sha256:<hex>` of some bytes. */
export function sha256Of(data: string | Uint8Array): string {
  return `sha256:${crypto().createHash('sha256').update(data).digest('hex')}`;
}

/** `sha256:<hex>` and byte count of a file's content, read as a stream (any size). */
export async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const hash = crypto().createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: FILE_READ_CHUNK })) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    hash.update(buffer);
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
