/**
 * A plain-tar layer file read in place (file-chunks.ts): every byte counted and hashed once, the byte
 * cap enforced, the file closed however the read ends, and the ring's reuse visible (a chunk's buffer
 * is read into again RING chunks later, which is why the parser copies what it keeps).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileChunks, RING } from '../../../src/image/layer/file-chunks.js';
import { layerLimits } from '../../../src/image/layer/layer-limits.js';
import { readLayerEntries } from '../../../src/image/layer/tar-entries.js';
import { makeTar } from '../../runtime/embedded/layers/helpers/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-file-chunks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(data: Buffer): Promise<string> {
  const file = path.join(dir, `f-${data.length}`);
  await writeFile(file, data);
  return file;
}

/** Descriptors of this process open on `file`. */
function openOn(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('FileChunks', () => {
  it('hands out every byte once, hashes and counts them, and closes the file at the end', async () => {
    for (const length of [0, 1, 100, 256, 1000]) {
      const data = Buffer.from(Array.from({ length }, (_, i) => (i * 7) % 256));
      const file = await fileOf(data);
      const chunks = new FileChunks(file, { chunkSize: 64 });
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).equals(data), `${length} bytes`).toBe(true);
      expect(chunks.bytes).toBe(length);
      expect(chunks.digest()).toBe(sha(data));
      expect(openOn(file)).toBe(0);
    }
  });

  it('reads into the same buffers again, RING chunks apart', async () => {
    const data = Buffer.concat(Array.from({ length: RING + 2 }, (_, i) => Buffer.alloc(64, i)));
    const file = await fileOf(data);
    const seen: Buffer[] = [];
    for await (const chunk of new FileChunks(file, { chunkSize: 64 })) {
      seen.push(chunk);
      // The first chunk, kept without a copy, holds its own bytes until RING more are read.
      expect(seen[0]?.[0]).toBe(seen.length > RING ? RING : 0);
    }
    expect(seen).toHaveLength(RING + 2);
  });

  it('gives the event loop a turn between chunks (a ctrl-c or a timer does not wait for the file)', async () => {
    const file = await fileOf(Buffer.alloc(64 * 4, 1));
    const seen: string[] = [];
    setImmediate(() => seen.push('immediate'));
    for await (const chunk of new FileChunks(file, { chunkSize: 64 })) seen.push(`chunk of ${chunk.length}`);
    expect(seen).toHaveLength(5);
    expect(seen.indexOf('immediate')).toBeLessThan(seen.lastIndexOf('chunk of 64'));
  });

  it('with a known digest, counts but does not hash', async () => {
    const file = await fileOf(Buffer.from('some bytes'));
    const known = `sha256:${'a'.repeat(64)}`;
    const chunks = new FileChunks(file, { digest: { known } });
    expect(() => chunks.digest()).toThrow(/before the end/);
    for await (const chunk of chunks) expect(chunk.length).toBe(10);
    expect(chunks.digest()).toBe(known);
    expect(chunks.bytes).toBe(10);
  });

  it('stops at the byte cap with DEVENV_LIMIT and closes the file', async () => {
    const file = await fileOf(Buffer.alloc(300));
    const chunks = new FileChunks(file, { maxBytes: 200, chunkSize: 128 });
    const read = async () => {
      for await (const chunk of chunks) expect(chunk.length).toBeGreaterThan(0);
    };
    await expect(read()).rejects.toMatchObject({ code: 'DEVENV_LIMIT', message: /uncompressed size/ });
    expect(openOn(file)).toBe(0);
  });

  it('is closed when the entry reader stops early, at an invalid entry or a break', async () => {
    const good = await makeTar([
      { name: 'a', content: 'x'.repeat(3000) },
      { name: 'b', content: 'y' },
    ]);
    const early = await fileOf(good);
    const chunks = new FileChunks(early, { chunkSize: 512 });
    for await (const entry of readLayerEntries(chunks, layerLimits())) if (entry.name === 'a') break;
    expect(openOn(early)).toBe(0);

    // `b`'s header (after `a`'s header and its six body blocks) turned to garbage.
    const bad = await fileOf(
      Buffer.concat([good.subarray(0, 3584), Buffer.alloc(512, 0x41), good.subarray(4096)]),
    );
    expect(openOn(bad)).toBe(0);
    const invalid = new FileChunks(bad, { chunkSize: 512 });
    const names: string[] = [];
    const read = async () => {
      for await (const entry of readLayerEntries(invalid, layerLimits())) names.push(entry.name);
    };
    await expect(read()).rejects.toMatchObject({ code: 'DEVENV_ARCHIVE_INVALID' });
    expect(names).toEqual(['a']);
    expect(openOn(bad)).toBe(0);
  });
});
