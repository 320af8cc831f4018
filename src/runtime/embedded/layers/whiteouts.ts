/**
 * Pass 1 of applying a layer: find its whiteouts and opaque markers, then apply them to the lower
 * layers before any entry of the layer is written (image-spec layer.md: whiteouts apply regardless of
 * their position in the tar). Deleting in a merged overlay view makes the kernel write the char 0:0
 * whiteouts and `trusted.overlay.opaque` (overlay mode, docs/embedded-runtime.md#layer-modes); in a flat snapshot it simply
 * deletes (flatten mode). Every path is resolved in-root first, and the whited-out name itself is never
 * followed, so `.wh.localetc` removes the link `localetc`, not `/etc`.
 */
import { lchown, lstat, mkdir, readdir, rm, chmod, utimes } from '../../../util/fs-async.js';
import { classifyWhiteout } from '../../../image/layer/entry-name.js';
import { hostPath, resolveParentInRoot } from './resolve-in-root.js';
import type { LayerEntry } from '../../../image/layer/tar-entries.js';

/** What a layer deletes from the layers below it. */
export interface WhiteoutPlan {
  /** Paths to delete (relative to the layer root). */
  whiteouts: string[];
  /** Directories whose lower children are hidden (`''` is the root). */
  opaque: string[];
}

/** Reads every entry (validating it) and collects the layer's whiteouts; returns the entry count too. */
export async function scanWhiteouts(
  entries: AsyncIterable<LayerEntry>,
): Promise<WhiteoutPlan & { entries: number }> {
  const plan: WhiteoutPlan & { entries: number } = { whiteouts: [], opaque: [], entries: 0 };
  for await (const entry of entries) {
    plan.entries++;
    const kind = classifyWhiteout(entry.rel);
    if (kind.kind === 'whiteout') plan.whiteouts.push(kind.target);
    else if (kind.kind === 'opaque') plan.opaque.push(kind.dir);
  }
  return plan;
}

/**
 * Applies `plan` to the tree at `root` (a merged overlay view or a flat snapshot). The directories
 * that lose a child keep their mtimes, so a layer gives the same tree whenever it is applied.
 */
export async function applyWhiteouts(root: string, plan: WhiteoutPlan): Promise<void> {
  for (const dir of plan.opaque) {
    if (dir === '') {
      // The root cannot be removed and recreated; removing its children hides the same things.
      await keepTimes(root, () => removeChildren(root));
      continue;
    }
    const target = resolveParentInRoot(root, dir);
    await keepTimes(hostPath(root, parentOf(target)), () => makeOpaque(hostPath(root, target)));
  }
  for (const rel of plan.whiteouts) {
    const target = resolveParentInRoot(root, rel);
    await keepTimes(hostPath(root, parentOf(target)), () => removeIfPresent(hostPath(root, target)));
  }
}

async function keepTimes(dir: string, change: () => Promise<void>): Promise<void> {
  const before = await lstat(dir).catch(() => undefined);
  await change();
  if (before?.isDirectory() === true) await utimes(dir, before.atime, before.mtime);
}

/**
 * Removes a whited-out path. A whiteout below a regular file (`file/.wh.x`) names something that
 * cannot exist, so ENOTDIR means there is nothing to hide, as with ENOENT.
 */
async function removeIfPresent(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
  }
}

async function removeChildren(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(`${dir}/${name}`, { recursive: true, force: true });
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

async function makeOpaque(target: string): Promise<void> {
  const info = await lstat(target).catch(() => undefined);
  if (info?.isDirectory() !== true) return;
  await rm(target, { recursive: true, force: true });
  // Recreating it through overlayfs is what makes the kernel mark it opaque; keep its metadata.
  await mkdir(target);
  await lchown(target, info.uid, info.gid);
  await chmod(target, info.mode & 0o7777);
  await utimes(target, info.atime, info.mtime);
}
