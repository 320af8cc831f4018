/**
 * Applies one image layer (docs/embedded-runtime.md#applying-a-layer): reads the blob twice, once for its whiteouts and once for
 * its entries, into a temp directory next to the final one, and renames it into place only when
 * complete. A crash leaves a `<target>.tmp-*` directory and nothing under the final name. The
 * result is not yet durable: whoever publishes it syncs first (the store does, before its rename).
 */
import { lstat, mkdir, mkdtemp, readdir, realpath, rename } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { removeTree } from '../../../util/remove-tree.js';
import { extractContext } from './extract-context.js';
import type { NoticeHandler } from './extract-context.js';
import { FAILPOINT_MID_EXTRACT } from './extract.js';
import { openLayerTree } from './layer-tree.js';
import type { LayerBuild } from './layer-tree.js';
import { layerLimits } from '../../../image/layer/layer-limits.js';
import type { LayerLimits } from '../../../image/layer/layer-limits.js';
import { readLayer, scanLayer } from './read-layer.js';
import type { LayerBlob } from './read-layer.js';
import { applyWhiteouts } from './whiteouts.js';

/** Failpoint after the layer is complete on disk, just before it is renamed to its final name. */
export const FAILPOINT_BEFORE_RENAME = 'layers.apply.before-rename';
/** Suffix (before random characters) of the directory a layer is built in. */
const TEMP_SUFFIX = '.tmp-';
declareFailpoints(FAILPOINT_MID_EXTRACT, FAILPOINT_BEFORE_RENAME);

/** `overlay`: the result is an overlayfs upper dir; `flatten`: a full snapshot. */
export type LayerMode = 'overlay' | 'flatten';

/** What to apply, where, and on top of what. */
export interface ApplyLayerOptions {
  /**
   * The layer blob (gzip, zstd or plain tar): a function that opens it, called once for a base layer,
   * else twice; or its file, read in place when it is a plain tar.
   */
  open: LayerBlob;
  /** Final directory; must not exist yet. Its parent must. */
  target: string;
  /** Default `overlay`. */
  mode?: LayerMode | undefined;
  /**
   * Overlay mode: the parent chain's diff dirs, nearest first (empty for a base layer).
   * Flatten mode: at most one entry, the parent's snapshot.
   */
  parents?: readonly string[] | undefined;
  limits?: Partial<LayerLimits> | undefined;
  /** Verify the uncompressed digest against this `sha256:` diff ID before committing. */
  expectedDiffId?: string | undefined;
  /**
   * The diff ID of a plain-tar blob that the caller hashed as it stored it: the blob must be a plain
   * tar, and its bytes are not hashed again.
   */
  knownDiffId?: string | undefined;
  /** Apply owners from the layer; default: only when running as root. */
  chown?: boolean | undefined;
  /** Receives what was deliberately skipped (device nodes, xattrs). */
  onNotice?: NoticeHandler | undefined;
}

/** What {@link applyLayer} found. */
export interface AppliedLayer {
  /** `sha256:` of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  entries: number;
}

/**
 * Extracts a layer into `options.target` safely and faithfully, or throws a `DevenvError`
 * (`DEVENV_ARCHIVE_INVALID`, `DEVENV_LIMIT`, `DEVENV_DIGEST_MISMATCH`…) and leaves nothing behind.
 */
export async function applyLayer(options: ApplyLayerOptions): Promise<AppliedLayer> {
  const mode = options.mode ?? 'overlay';
  const parents = options.parents ?? [];
  if (mode === 'flatten' && parents.length > 1)
    throw new Error('applyLayer: flatten mode takes at most one parent snapshot');
  const layersDir = await realpath(path.dirname(path.resolve(options.target)));
  const target = path.join(layersDir, path.basename(options.target));
  if (await lstat(target).catch(() => undefined))
    throw new DevenvError('DEVENV_STORE', `layer directory ${target} already exists`);
  const temp = await mkdtemp(`${target}${TEMP_SUFFIX}`);
  try {
    const diff = path.join(temp, 'diff');
    await mkdir(diff, 0o755);
    const layer = await build(options, { mode, parents, temp, diff, layersDir });
    if (options.expectedDiffId !== undefined && options.expectedDiffId !== layer.diffId)
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `invalid diffID: expected ${options.expectedDiffId}, got ${layer.diffId}`,
      );
    // No sync here: this rename publishes nothing. The store's directory around `target` is not a
    // layer until the store renames it, and the store makes it durable (one syncfs) just before.
    await failpoint(FAILPOINT_BEFORE_RENAME);
    await rename(diff, target).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      // Another apply of the same layer won the race; the store lock should have prevented it.
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        throw new DevenvError('DEVENV_STORE', `layer directory ${target} appeared while applying`, {
          cause: error,
        });
      throw error;
    });
    await removeTree(temp);
    return layer;
  } catch (error) {
    await removeTree(temp).catch(() => undefined);
    throw error;
  }
}

/** Both passes; for a base layer the whiteout pass is skipped, since there is nothing to delete. */
async function build(options: ApplyLayerOptions, layout: LayerBuild): Promise<AppliedLayer> {
  const limits = layerLimits(options.limits);
  const known = options.knownDiffId;
  const scan = layout.parents.length > 0 ? await scanLayer(options.open, limits, known) : undefined;
  const tree = await openLayerTree(layout);
  let layer: AppliedLayer;
  try {
    if (scan !== undefined) await applyWhiteouts(tree.root, scan.plan);
    const chown = options.chown ?? process.getuid?.() === 0;
    // A base layer is written straight into its new, empty diff, which nothing else writes to.
    const empty = layout.parents.length === 0;
    const ctx = extractContext(tree.root, chown, options.onNotice ?? (() => undefined), empty);
    layer = await readLayer(options.open, limits, ctx, known);
  } finally {
    await tree.close();
  }
  if (scan !== undefined && scan.layer.diffId !== layer.diffId)
    throw new DevenvError(
      'DEVENV_DIGEST_MISMATCH',
      `layer changed between its two reads: ${scan.layer.diffId}, then ${layer.diffId}`,
    );
  return layer;
}

/**
 * Removes the `<target>.tmp-*` directories that crashed applies of `target` left behind (for
 * `doctor` and startup). Only call it while holding the store lock, or a running apply loses its work.
 * @returns the directories removed.
 */
export async function removeLayerTemps(target: string): Promise<string[]> {
  const dir = path.dirname(path.resolve(target));
  const prefix = `${path.basename(target)}${TEMP_SUFFIX}`;
  const stale = (await readdir(dir))
    .filter((name) => name.startsWith(prefix))
    .map((name) => path.join(dir, name));
  for (const temp of stale) await removeTree(temp);
  return stale;
}
