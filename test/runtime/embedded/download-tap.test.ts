/**
 * The download tap on its own: both readers get every byte in order; a reader that is slow holds
 * the download back, one that stops or is detached does not; an error of the download reaches both,
 * even before they attach; a download that never opened gives the unpack nothing.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DownloadTap } from '../../../src/runtime/embedded/download-tap.js';

const data = randomBytes(12 << 20);

function source(): Readable {
  const chunks = Array.from({ length: 48 }, (_, i) => data.subarray(i << 18, (i + 1) << 18));
  return Readable.from(chunks, { objectMode: false });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('DownloadTap', () => {
  it('gives both readers every byte, in order', async () => {
    const tap = new DownloadTap();
    const store = tap.split(source());
    const unpack = await tap.opened;
    expect(unpack).toBeDefined();
    const [a, b] = await Promise.all([readAll(store), readAll(unpack as Readable)]);
    expect(a.equals(data)).toBe(true);
    expect(b.equals(data)).toBe(true);
  });

  it('an unpack that has not read holds the download back; detaching it lets the store finish', async () => {
    const tap = new DownloadTap();
    const store = tap.split(source());
    const reading = readAll(store);
    let done = false;
    void reading.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    tap.detach();
    expect((await reading).equals(data)).toBe(true);
  });

  it('an unpack that stops half way does not stall the store', async () => {
    const tap = new DownloadTap();
    const store = tap.split(source());
    const unpack = (await tap.opened) as Readable;
    const reading = readAll(store);
    let seen = 0;
    for await (const chunk of unpack) {
      seen += (chunk as Buffer).length;
      if (seen > data.length / 3) break;
    }
    expect((await reading).equals(data)).toBe(true);
  });

  it('an error of the download reaches both readers, even one that attaches after it', async () => {
    const tap = new DownloadTap();
    const failing = new Readable({ read() {} });
    const store = tap.split(failing);
    failing.push(data.subarray(0, 1000));
    failing.destroy(new Error('digest mismatch'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(readAll(store)).rejects.toThrow('digest mismatch');
    await expect(readAll((await tap.opened) as Readable)).rejects.toThrow('digest mismatch');
  });

  it('a download that never opened gives the unpack nothing', async () => {
    const tap = new DownloadTap();
    tap.settle();
    expect(await tap.opened).toBeUndefined();
  });
});
