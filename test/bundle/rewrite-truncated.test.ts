/**
 * A docker save stream that stops in the middle of an entry (docker save killed by ctrl-c) makes the
 * rewrite reject; it must not crash the process with an unhandled stream error, which would skip
 * save's cleanups (FILE.partial, the temporary image).
 */
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { rewriteImageArchive } from '../../src/bundle/rewrite-archive.js';

async function tarOf(name: string, size: number): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, size }, Buffer.alloc(size, 7));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('rewriting a truncated docker save stream', () => {
  it.each([
    ['a small entry (held in memory)', 100_000],
    ['a large entry (streamed through)', 5 * 1024 * 1024],
  ])('%s: rejects, and the output pipeline settles', async (_, size) => {
    const whole = await tarOf('layer.tar', size);
    const cut = whole.subarray(0, 512 + Math.floor(size / 2));
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-rewrite-')), 'out.tar.partial');
    const out = await open(file, 'w');
    const pack = tar.pack();
    const writing = pipeline(pack, out.createWriteStream());
    const rewriting = rewriteImageArchive(Readable.from([cut]), pack, {
      dropEnv: new Set(),
      tag: 'devenv/x:latest',
    });
    await expect(rewriting).rejects.toThrow();
    pack.destroy();
    await expect(writing).rejects.toThrow();
  });
});
