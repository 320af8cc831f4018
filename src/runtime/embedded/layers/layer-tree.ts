/**
 * Where pass 2 of a layer writes, by mode (docs/embedded-runtime.md#applying-a-layer): a base layer straight into its new
 * diff; a child layer in overlay mode through a merged view of a temporary overlay (lower = parent
 * chain, upper = the new diff), so whiteouts become kernel whiteouts and every path resolves as a
 * container will see it; in flatten mode into a copy of the parent snapshot.
 */
import { mkdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { copySnapshot } from './flatten.js';
import { openOverlays } from './overlay-mount.js';

/** The tree being written and how to let go of it. */
export interface LayerTree {
  /** Host path to write through. */
  root: string;
  /** Unmounts, for overlay mode; the upper dir must not be touched directly before this. */
  close(): Promise<void>;
}

/** Layout of one layer build inside its `<target>.tmp-*` directory. */
export interface LayerBuild {
  mode: 'overlay' | 'flatten';
  /** Overlay: parent diffs, nearest first. Flatten: the parent snapshot, if any. */
  parents: readonly string[];
  /** The temp directory; `diff` lives in it and becomes the layer. */
  temp: string;
  diff: string;
  /** Directory that holds the layers, the cwd of the mount (shorter lowerdir options). */
  layersDir: string;
}

/** Prepares the tree for `build`; the caller must `close()` it, also on failure. */
export async function openLayerTree(build: LayerBuild): Promise<LayerTree> {
  const none = { root: build.diff, close: () => Promise.resolve() };
  if (build.parents.length === 0) return none;
  if (build.mode === 'flatten') {
    await copySnapshot(build.parents[0] as string, build.diff);
    return none;
  }
  const work = path.join(build.temp, 'work');
  const merged = path.join(build.temp, 'merged');
  await mkdir(work);
  await mkdir(merged);
  const view = await openOverlays(
    [{ lowers: build.parents, upper: build.diff, work, target: merged }],
    build.layersDir,
  );
  return { root: view.paths[0] as string, close: () => view.close() };
}
