/** Reading a small file whole, with a size cap checked before the bytes are read. */
import { close, fstat, openDescriptor, readDescriptor } from './fs-async.js';
import { DevenvError } from '../errors.js';

/** Reads up to `maxBytes` of `file`; larger files are refused, not truncated. */
export async function readCapped(file: string, maxBytes: number): Promise<Buffer> {
  // A descriptor, not a FileHandle: the stores' records are read on every warm `up -d`, and a
  // FileHandle loads node:fs/promises (fs-async.ts).
  const fd = await openDescriptor(file, 'r');
  try {
    const { size } = await fstat(fd);
    if (size > maxBytes) {
      throw new DevenvError('DEVENV_LIMIT', `${file} is ${size} bytes, more than the ${maxBytes} allowed`);
    }
    return await readDescriptor(fd);
  } finally {
    await close(fd);
  }
}
