/** Reading a small file whole, with a size cap checked before the bytes are read. */
import { open } from 'node:fs/promises';
import { DevenvError } from '../errors.js';

/** Reads up to `maxBytes` of `file`; larger files are refused, not truncated. */
export async function readCapped(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      throw new DevenvError('DEVENV_LIMIT', `${file} is ${size} bytes, more than the ${maxBytes} allowed`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
