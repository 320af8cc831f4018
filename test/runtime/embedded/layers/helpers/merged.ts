/**
 * Reads what a container would see: overlay-mode diffs mounted read-only as one overlay in a private
 * mount namespace, or a flatten-mode snapshot as it is.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openOverlays } from '../../../../../src/runtime/embedded/layers/index.js';
import { treeListing } from './tree.js';
import type { ListingOptions } from './tree.js';

/**
 * Listing of the merged view of `diffs` (top first). An empty bottom layer is added because a
 * read-only overlay needs at least two lower dirs.
 */
export async function mergedListing(
  scratchDir: string,
  diffs: readonly string[],
  options?: ListingOptions,
): Promise<string[]> {
  const empty = path.join(scratchDir, 'empty-lower');
  const target = path.join(scratchDir, 'merged-view');
  await mkdir(empty, { recursive: true });
  await mkdir(target, { recursive: true });
  const view = await openOverlays([{ lowers: [...diffs, empty], target }]);
  try {
    return await treeListing(view.paths[0]!, options);
  } finally {
    await view.close();
  }
}
