/**
 * Deterministic file trees of a given shape for the benchmarks that move data: the same bytes on
 * every run and every machine, so figures compare. Half of the files are text-like (words from a
 * small vocabulary, compressing roughly as source code does) and half are incompressible (AES-CTR
 * under a fixed key), spread over folders of a hundred files each, with a few large files.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The shape of a tree: `files` small files cycling through `SMALL_SIZES`, and `large` files of 8 MiB. */
export interface SeedShape {
  files: number;
  large: number;
}

const SMALL_SIZES = [2_048, 8_192, 16_384, 32_768, 65_536, 131_072];
const LARGE_SIZE = 8 * 1024 * 1024;
const WORDS = [
  'const',
  'return',
  'value',
  'index',
  'buffer',
  'export',
  'function',
  'layer',
  'if',
  '{',
  '}',
  ';',
];

/** `size` pseudo-random bytes, fixed by `seed`. */
function noise(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** `size` bytes of word salad, fixed by `seed`. */
function text(seed: string, size: number): Buffer {
  const picks = noise(seed, size);
  const out = Buffer.alloc(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    const word = WORDS[(picks[i % size] ?? 0) % WORDS.length] ?? '';
    at += out.write(`${word}${i % 12 === 11 ? '\n' : ' '}`, at);
  }
  return out;
}

/** Writes the tree of `shape` under `dir`; returns its size in bytes (file contents only). */
export async function writeSeedTree(dir: string, shape: SeedShape): Promise<number> {
  let total = 0;
  for (let i = 0; i < shape.files; i++) {
    const folder = path.join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const size = SMALL_SIZES[i % SMALL_SIZES.length] ?? 0;
    const seed = `${path.basename(dir)}-${String(i)}`;
    await writeFile(
      path.join(folder, `f${String(i)}.dat`),
      i % 2 === 0 ? text(seed, size) : noise(seed, size),
    );
    total += size;
  }
  await mkdir(path.join(dir, 'large'), { recursive: true });
  for (let i = 0; i < shape.large; i++) {
    const seed = `${path.basename(dir)}-large-${String(i)}`;
    await writeFile(
      path.join(dir, 'large', `l${String(i)}.bin`),
      i % 2 === 0 ? text(seed, LARGE_SIZE) : noise(seed, LARGE_SIZE),
    );
    total += LARGE_SIZE;
  }
  return total;
}
