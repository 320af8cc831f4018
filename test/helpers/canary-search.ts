/**
 * Where a secret ended up: every file under some folders (or the files themselves) whose bytes hold
 * a needle, looking inside what a store or an archive keeps it in: gzip and zstd blobs are read
 * decompressed, and tars (a docker save archive, a layer) member by member, two levels deep.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { detectCompression, openLayerStream } from '../../src/image/layer/decompress.js';
import { rawTarEntries } from './raw-tar.js';

function filesUnder(root: string): string[] {
  if (!statSync(root).isDirectory()) return [root];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const isTar = (bytes: Buffer) =>
  bytes.length >= 512 && bytes.subarray(257, 262).toString('ascii') === 'ustar';

async function holders(name: string, bytes: Buffer, needle: string, depth: number): Promise<string[]> {
  if (bytes.includes(needle)) return [name];
  if (depth > 2) return [];
  if (detectCompression(bytes.subarray(0, 4)) !== 'none')
    return holders(
      `${name} (decompressed)`,
      await buffer(openLayerStream(Readable.from([bytes]))),
      needle,
      depth + 1,
    );
  if (!isTar(bytes)) return [];
  const found: string[] = [];
  for (const entry of rawTarEntries(bytes)) {
    const xattrs = [...entry.xattrs.values()].some((value) => value.includes(needle));
    if (entry.name.includes(needle) || entry.linkname.includes(needle) || xattrs)
      found.push(`${name}!${entry.name}`);
    else found.push(...(await holders(`${name}!${entry.name}`, entry.body, needle, depth + 1)));
  }
  return found;
}

/** Every file under `roots`, or member of one, whose bytes hold `needle`. */
export async function filesHolding(roots: readonly string[], needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of roots.flatMap(filesUnder))
    found.push(...(await holders(file, readFileSync(file), needle, 0)));
  return found;
}
