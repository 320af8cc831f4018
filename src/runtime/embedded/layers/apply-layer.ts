/**
 * Applies one image layer (runtime-spec 2.3): reads the blob twice, once for its whiteouts and once for
 * its entries, into a temp directory next to the final one, and renames it into place only when
 * complete. A crash leaves a `<target>.tmp-*` directory and nothing under the final name.
 */
import { lstat, mkdir, mkdtemp, realpath, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';
import { syncDir } from '../../../util/atomic.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { removeTree } from '../../../util/remove-tree.js';
import { extractContext } from './extract-context.js';
import type { NoticeHandler } from './extract-context.js';
import { FAILPOINT_MID_EXTRACT } from './extract.js';
import { copySnapshot } from './flatten.js';
import { layerLimits } from './limits.js';
import type { LayerLimits } from './limits.js';
import { openOverlays } from './overlay-mount.js';
import type { OverlayView } from './overlay-mount.js';
import { readLayer, scanLayer } from './read-layer.js';
import { applyWhiteouts } from './whiteouts.js';

/** Failpoint after the layer is complete on disk, just before it is renamed to its final name. */
export const FAILPOINT_BEFORE_RENAME = 'layers.apply.before-rename';
declareFailpoints(FAILPOINT_MID_EXTRACT, FAILPOINT_BEFORE_RENAME);

/** `overlay`: the result is an overlayfs upper dir; `flatten`: a full snapshot. */
export type LayerMode = 'overlay' | 'flatten';

export interface ApplyLayerOptions {
  /** Opens the layer blob (gzip, zstd or plain tar); called once for a base layer, else twice. */
  open: () => Readable | Promise<Readable>;
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
  const limits = layerLimits(options.limits);
  const mode = options.mode ?? 'overlay';
  const parents = options.parents ?? [];
  if (mode === 'flatten' && parents.length > 1)
    throw new Error('applyLayer: flatten mode takes at most one parent snapshot');
  const dir = await realpath(path.dirname(path.resolve(options.target)));
  const target = path.join(dir, path.basename(options.target));
  if (await lstat(target).catch(() => undefined))
    throw new DevenvError('DEVENV_FILE_EXISTS', `layer directory ${target} already exists`);
  const temp = await mkdtemp(`${target}.tmp-`);
  try {
    const diff = path.join(temp, 'diff');
    await mkdir(diff, 0o755);
    const ctx = extractContext(
      diff,
      options.chown ?? process.getuid?.() === 0,
      options.onNotice ?? (() => undefined),
    );
    let first: AppliedLayer | undefined;
    let view: OverlayView | undefined;
    if (parents.length > 0) {
      const scan = await scanLayer(options.open, limits);
      first = scan.layer;
      if (mode === 'flatten') await copySnapshot(parents[0] as string, diff);
      else {
        await mkdir(path.join(temp, 'work'));
        await mkdir(path.join(temp, 'merged'));
        const spec = {
          lowers: parents,
          upper: diff,
          work: path.join(temp, 'work'),
          target: path.join(temp, 'merged'),
        };
        view = await openOverlays([spec], dir);
        ctx.root = view.paths[0] as string;
      }
      try {
        await applyWhiteouts(ctx.root, scan.plan);
      } catch (error) {
        await view?.close().catch(() => undefined);
        throw error;
      }
    }
    let layer: AppliedLayer;
    try {
      layer = await readLayer(options.open, limits, ctx);
    } finally {
      await view?.close();
    }
    if (first !== undefined && first.diffId !== layer.diffId)
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `layer changed between reads: ${first.diffId} then ${layer.diffId}`,
      );
    if (options.expectedDiffId !== undefined && options.expectedDiffId !== layer.diffId)
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `invalid diffID: expected ${options.expectedDiffId}, got ${layer.diffId}`,
      );
    await execa('sync', ['-f', diff]);
    await failpoint(FAILPOINT_BEFORE_RENAME);
    await rename(diff, target);
    await syncDir(dir);
    await removeTree(temp);
    return layer;
  } catch (error) {
    await removeTree(temp).catch(() => undefined);
    throw error;
  }
}
