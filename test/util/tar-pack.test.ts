import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packBody, packEntry } from '../../src/util/tar-pack.js';

/** A destination that fails like a full disk on its first write. */
function fullDisk(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    },
  });
}

describe('packBody and packEntry', () => {
  it('a full disk under queued entries fails the pipeline once, with no uncaught error', async () => {
    const pack = tar.pack();
    const writing = pipeline(pack, fullDisk());
    const streamed = packEntry(pack, { name: 'big', size: 4 });
    // Entries queued behind the streamed one are destroyed with the pack when the write fails.
    packBody(pack, { name: 'a', mode: 0o644 }, 'first');
    packBody(pack, { name: 'b', mode: 0o644 }, Buffer.from('second'));
    const source = new PassThrough();
    source.end(Buffer.from('data'));
    await expect(pipeline(source, streamed)).rejects.toThrow();
    await expect(writing).rejects.toMatchObject({ code: 'ENOSPC' });
    // Give destroyed sinks a turn to emit: vitest fails the run on any unhandled 'error' event.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('writes the entries it is given', async () => {
    const pack = tar.pack();
    packBody(pack, { name: 'a.txt', mode: 0o644, mtime: new Date(0) }, 'hello');
    pack.finalize();
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      names.push(`${header.name}:${header.size}`);
      stream.resume();
      stream.on('end', next);
    });
    await pipeline(pack, extract);
    expect(names).toEqual(['a.txt:5']);
  });
});
