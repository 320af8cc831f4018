/** Applies a stack of layers in either mode and lists the result as a container would see it. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { applyLayer } from '../../../../../src/runtime/embedded/layers/index.js';
import type { LayerMode } from '../../../../../src/runtime/embedded/layers/index.js';
import { opener } from './fixtures.js';
import { mergedListing } from './merged.js';
import { treeListing } from './tree.js';
import type { ListingOptions } from './tree.js';

/** Applies `layers` (bottom first) under `dir/<mode>`; returns each layer's directory, bottom first. */
export async function applyChain(dir: string, layers: readonly Buffer[], mode: LayerMode): Promise<string[]> {
  const done: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const [i, layer] of layers.entries()) {
    const target = path.join(dir, `${mode}-${i}`);
    const parents = mode === 'overlay' ? [...done].reverse() : done.slice(-1);
    await applyLayer({ open: opener(layer), target, mode, parents });
    done.push(target);
  }
  return done;
}

/** What a container on top of `dirs` (from {@link applyChain}) sees. */
export async function chainListing(
  dir: string,
  dirs: readonly string[],
  mode: LayerMode,
  options?: ListingOptions,
): Promise<string[]> {
  if (mode === 'flatten') return treeListing(dirs.at(-1)!, options);
  return mergedListing(dir, [...dirs].reverse(), options);
}
