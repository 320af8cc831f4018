/**
 * Layer chain IDs (image-spec config.md, docs/image-formats.md#ids). A diff is only meaningful on top of the
 * exact layers below it, so the store keys unpacked layers by chain ID, as Docker's layerdb does.
 */
import { sha256Of } from './digest.js';

/**
 * The chain ID of a layer whose diff ID is `diffId` on top of the chain `parent`:
 * `ChainID(L0) = DiffID(L0)`, `ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))`,
 * both over the `sha256:<hex>` strings.
 */
export function chainIdOf(parent: string | undefined, diffId: string): string {
  return parent === undefined ? diffId : sha256Of(`${parent} ${diffId}`);
}

/** The chain ID of every prefix of `diffIds`, bottom layer first. */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const result: string[] = [];
  let parent: string | undefined;
  for (const diffId of diffIds) {
    parent = chainIdOf(parent, diffId);
    result.push(parent);
  }
  return result;
}
