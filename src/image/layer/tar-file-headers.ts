/**
 * The headers of a tar file, read by seeking: every body is stepped over, never read, so listing an
 * archive of a few large layers costs a few small reads whatever its size. The same parser and
 * verdicts as the layer reader (tar-blocks.ts); a body that runs past the end of the file is a
 * truncated archive.
 */
import { open } from '../../util/fs-async.js';
import type { FileHandle } from '../../util/fs-async.js';
import { nextHeader, padding, truncated } from './tar-blocks.js';
import type { BlockSource, RawTarHeader } from './tar-blocks.js';

class FileBlocks implements BlockSource {
  private position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {}

  async take(n: number): Promise<Buffer | undefined> {
    if (this.position >= this.size) return undefined;
    const buffer = Buffer.alloc(n);
    const { bytesRead } = await this.handle.read(buffer, 0, n, this.position);
    this.position += bytesRead;
    if (bytesRead < n) throw truncated();
    return buffer;
  }

  skip(n: number): Promise<void> {
    this.position += n;
    return this.position > this.size ? Promise.reject(truncated()) : Promise.resolve();
  }
}

/** Yields each entry's header of the tar `file` in order (PAX and long names applied). */
export async function* tarFileHeaders(file: string): AsyncGenerator<RawTarHeader> {
  const handle = await open(file, 'r');
  try {
    const blocks = new FileBlocks(handle, (await handle.stat()).size);
    for (;;) {
      const header = await nextHeader(blocks);
      if (header === undefined) return;
      yield header;
      // A directory's body is never read (tar-stream's rule, which the layer reader keeps).
      if (header.type !== 'directory') await blocks.skip(header.size + padding(header.size));
    }
  } finally {
    await handle.close();
  }
}
