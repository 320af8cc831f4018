/**
 * Squash test helpers: run the squash into a buffer, list a tar's headers, and apply a chain of layers
 * with the project's own applier so a squashed layer can be compared with the layers it replaces.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import { squashLayers } from '../../../src/image/squash/index.js';
import type { SquashOptions, SquashResult } from '../../../src/image/squash/index.js';
import { applyChain, chainListing } from '../../runtime/embedded/layers/helpers/chain.js';
import type { LayerMode } from '../../../src/runtime/embedded/layers/index.js';

/** Squashes in-memory layers (oldest first); returns the layer bytes and the result. */
export async function squashBuffers(
  layers: readonly Buffer[],
  options?: SquashOptions,
): Promise<{ data: Buffer; result: SquashResult }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const result = await squashLayers(
    layers.map((layer) => () => Readable.from([layer])),
    sink,
    options,
  );
  return { data: Buffer.concat(chunks), result };
}

/** One line per entry: `type name[ -> link] mode uid:gid size`. */
export async function tarHeaders(data: Buffer): Promise<string[]> {
  const out: string[] = [];
  const extract = tar.extract();
  extract.end(data);
  for await (const entry of extract) {
    const h = entry.header;
    const link = h.linkname ? ` -> ${h.linkname}` : '';
    const mode = h.mode.toString(8).padStart(4, '0');
    out.push(`${h.type} ${h.name}${link} ${mode} ${h.uid}:${h.gid} ${h.size}`);
    entry.resume();
  }
  return out;
}

/** Sorted groups of paths that share an inode (hardlinks), one string per group. */
export async function hardlinkGroups(root: string): Promise<string[]> {
  const groups = new Map<string, string[]>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(path.join(root, child));
      if (info.isDirectory()) await walk(child);
      else if (info.nlink > 1) groups.set(`${info.ino}`, [...(groups.get(`${info.ino}`) ?? []), child]);
    }
  };
  await walk('');
  return [...groups.values()].map((paths) => paths.sort().join(' = ')).sort();
}

/**
 * Applies `base` then `layers` in one chain and `base` then `squashed` in another (under `dir`) and
 * returns what each tree looks like, mtimes and hardlink groups included.
 */
export async function compareTrees(
  dir: string,
  base: Buffer,
  layers: readonly Buffer[],
  squashed: Buffer,
  mode: LayerMode = 'flatten',
  mtimes = true,
): Promise<{ original: string[]; squashed: string[] }> {
  const listing = async (name: string, chain: readonly Buffer[]) => {
    const where = path.join(dir, name);
    const dirs = await applyChain(where, chain, mode);
    const lines = await chainListing(where, dirs, mode, { mtimes });
    const top = dirs.at(-1);
    return mode === 'flatten' && top !== undefined ? [...lines, ...(await hardlinkGroups(top))] : lines;
  };
  return {
    original: await listing('original', [base, ...layers]),
    squashed: await listing('squashed', [base, squashed]),
  };
}

/** Applies `layers` in one chain and lists the result; throws what the applier throws. */
export async function chainTree(dir: string, layers: readonly Buffer[], mode: LayerMode = 'flatten') {
  const dirs = await applyChain(dir, layers, mode);
  const lines = await chainListing(dir, dirs, mode);
  const top = dirs.at(-1);
  return mode === 'flatten' && top !== undefined ? [...lines, ...(await hardlinkGroups(top))] : lines;
}
