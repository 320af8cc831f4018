/**
 * The two read-only views {@link diffLayer} compares (docs/embedded-runtime.md#layer-diff): the lower chain alone, and the
 * upper dir stacked on it. A name present below but absent from the merged view was deleted by the
 * upper dir, by a whiteout Node can see (char 0:0) or by an opaque xattr it cannot read.
 */
import { lstat, mkdir, readdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { openOverlays } from './overlay-mount.js';
import { hostPath } from './resolve-in-root.js';

/** Names hidden by the upper dir, per directory; see {@link openDiffViews}. */
export interface DiffViews {
  /** Names in lower(dir) that the merged view no longer shows; empty when dir is not a lower directory. */
  deleted(dir: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Mounts both views in a private mount namespace under `scratch` (an empty, symlink-free directory on
 * any filesystem). With no lowers nothing can be deleted and nothing is mounted.
 */
export async function openDiffViews(
  upper: string,
  lowers: readonly string[],
  scratch: string,
): Promise<DiffViews> {
  if (lowers.length === 0) return { deleted: () => Promise.resolve([]), close: () => Promise.resolve() };
  // A read-only overlay needs two lower dirs; an empty one at the bottom changes nothing.
  const empty = path.join(scratch, 'empty');
  const lowerTarget = path.join(scratch, 'lower');
  const mergedTarget = path.join(scratch, 'merged');
  for (const dir of [empty, lowerTarget, mergedTarget]) await mkdir(dir);
  const view = await openOverlays([
    { lowers: [...lowers, empty], target: lowerTarget },
    { lowers: [upper, ...lowers, empty], target: mergedTarget },
  ]);
  const [lowerRoot = '', mergedRoot = ''] = view.paths;
  return {
    deleted: async (dir) => {
      // Both paths come from walking the real upper dir, whose parents are directories, not links.
      const below = await lstat(hostPath(lowerRoot, dir)).catch(() => undefined);
      if (below?.isDirectory() !== true) return [];
      const merged = new Set(await readdir(hostPath(mergedRoot, dir)).catch(() => [] as string[]));
      return (await readdir(hostPath(lowerRoot, dir))).filter((name) => !merged.has(name));
    },
    close: () => view.close(),
  };
}
