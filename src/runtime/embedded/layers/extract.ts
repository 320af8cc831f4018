/**
 * Pass 2 of applying a layer: every entry except whiteouts is written into the tree, then directory
 * modes and times are set, deepest first, so a mode-000 directory does not lock out its own children
 * and adding a child does not spoil a directory's mtime.
 */
import { chmodSync, utimesSync } from 'node:fs';
import { failpoint } from '../../../util/failpoint.js';
import { classifyWhiteout } from '../../../image/layer/entry-name.js';
import type { ExtractContext } from './extract-context.js';
import { kindAt } from './extract-context.js';
import { hostPath } from './resolve-in-root.js';
import type { LayerEntry } from '../../../image/layer/tar-entries.js';
import { writeEntry } from './write-entry.js';

/** Failpoint hit once, right after the first entry of a layer is written. */
export const FAILPOINT_MID_EXTRACT = 'layers.apply.mid-extract';

/** Writes all non-whiteout entries of a layer into `ctx.root`; returns how many entries it read. */
export async function extractEntries(
  entries: AsyncIterable<LayerEntry>,
  ctx: ExtractContext,
): Promise<number> {
  let count = 0;
  let written = 0;
  for await (const entry of entries) {
    count++;
    if (classifyWhiteout(entry.rel).kind !== 'none') continue;
    await writeEntry(ctx, entry);
    if (++written === 1) await failpoint(FAILPOINT_MID_EXTRACT);
  }
  applyDeferredDirs(ctx);
  return count;
}

/** Sets the deferred directory modes and times of `ctx`, deepest first; the last step of an extraction. */
export function applyDeferredDirs(ctx: ExtractContext): void {
  const depth = (rel: string) => (rel === '' ? 0 : rel.split('/').length);
  const ordered = [...ctx.dirs].sort(([a], [b]) => depth(b) - depth(a));
  for (const [rel, meta] of ordered) {
    const target = hostPath(ctx.root, rel);
    // A later entry may have replaced the directory with a symlink, which chmod would follow.
    if (kindAt(ctx, rel) !== 'directory') continue;
    if (meta.mode !== undefined) chmodSync(target, meta.mode);
    utimesSync(target, meta.atime, meta.mtime);
  }
}
