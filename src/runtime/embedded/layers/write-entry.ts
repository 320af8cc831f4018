/**
 * Writes one layer entry into the tree (docs/image-formats.md#layer-tars, after go-archive
 * `createTarFile`). The entry's own path is never followed: whatever is there is removed first, unless
 * directory meets directory, and files are opened with O_EXCL|O_NOFOLLOW so nothing is ever written
 * through a symlink. Metadata syscalls are synchronous (see resolve-in-root.ts for why).
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { execa } from 'execa';
import type { ExtractContext } from './extract-context.js';
import { kindAt, noteMade, noteRemoved, prepareParent, symlinkTest } from './extract-context.js';
import { invalidEntry } from '../../../image/layer/layer-limits.js';
import { hostPath, resolveParentInRoot } from './resolve-in-root.js';
import type { LayerEntry } from '../../../image/layer/tar-entries.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `entry` under `ctx.root`; directory modes and times are deferred to `ctx.dirs`. */
export async function writeEntry(ctx: ExtractContext, entry: LayerEntry): Promise<void> {
  const rel = entry.rel === '' ? '' : prepareParent(ctx, entry.name, entry.rel);
  const target = hostPath(ctx.root, rel);
  if (entry.xattrs.length > 0)
    ctx.onNotice(entry.rel, `extended attributes not applied: ${entry.xattrs.join(', ')}`);
  if (entry.type === 'character-device' || entry.type === 'block-device') {
    ctx.onNotice(entry.rel, `${entry.type} skipped: device nodes are never created from a layer`);
    return;
  }
  if (entry.rel === '' && entry.type !== 'directory')
    throw invalidEntry(entry.name, 'the layer root must be a directory');
  const keepDir = clearTarget(ctx, rel, entry.type === 'directory');
  switch (entry.type) {
    case 'directory':
      if (!keepDir) mkdirSync(target, 0o700);
      noteMade(ctx, rel, 'directory');
      if (ctx.chown) lchownSync(target, entry.uid, entry.gid);
      ctx.dirs.set(rel, { mode: entry.mode, atime: entry.mtime, mtime: entry.mtime });
      return;
    case 'file':
      await writeFile(ctx, target, entry);
      noteMade(ctx, rel, 'other');
      return;
    case 'symlink':
      symlinkSync(entry.linkname ?? '', target);
      noteMade(ctx, rel, 'symlink');
      if (ctx.chown) lchownSync(target, entry.uid, entry.gid);
      lutimesSync(target, entry.mtime, entry.mtime);
      return;
    case 'link':
      hardlink(ctx, rel, entry);
      return;
    case 'fifo':
      await fifo(ctx, rel, entry);
      return;
  }
}

/**
 * Removes what occupies `rel`; returns true when it is a directory that a directory entry keeps.
 */
function clearTarget(ctx: ExtractContext, rel: string, entryIsDir: boolean): boolean {
  const kind = kindAt(ctx, rel);
  if (kind === undefined) return false;
  if (kind === 'directory' && entryIsDir) return true;
  rmSync(hostPath(ctx.root, rel), { recursive: true, force: true });
  noteRemoved(ctx);
  // Anything cached below a removed directory or through a removed symlink is stale now.
  if (kind !== 'other') ctx.parents.clear();
  return false;
}

async function writeFile(ctx: ExtractContext, target: string, entry: LayerEntry): Promise<void> {
  const fd = openSync(target, CREATE_FLAGS, 0o600);
  try {
    for await (const chunk of entry.body) {
      for (let offset = 0; offset < chunk.length;) offset += writeSync(fd, chunk, offset);
    }
    if (ctx.chown) fchownSync(fd, entry.uid, entry.gid);
    // After chown, which clears setuid and setgid.
    fchmodSync(fd, entry.mode);
    futimesSync(fd, entry.mtime, entry.mtime);
  } catch (error) {
    // Calls on a descriptor name no path; the command boundary needs one to say which file failed
    // ("the disk is full: cannot write …") instead of reporting a bug.
    const errno = error as NodeJS.ErrnoException;
    if (errno.code !== undefined && errno.path === undefined) errno.path = target;
    throw error;
  } finally {
    closeSync(fd);
  }
}

function hardlink(ctx: ExtractContext, rel: string, entry: LayerEntry): void {
  const linkname = entry.linkname ?? '';
  const source = resolveParentInRoot(ctx.root, linkname, symlinkTest(ctx));
  const kind = kindAt(ctx, source);
  if (kind === undefined)
    throw invalidEntry(
      entry.name,
      `hardlink target /${linkname} is outside the layer (nothing was extracted there)`,
    );
  if (kind === 'directory') throw invalidEntry(entry.name, `hardlink target /${linkname} is a directory`);
  // link(2) does not follow a symlink: the new name is another link to the symlink itself.
  linkSync(hostPath(ctx.root, source), hostPath(ctx.root, rel));
  noteMade(ctx, rel, kind);
}

async function fifo(ctx: ExtractContext, rel: string, entry: LayerEntry): Promise<void> {
  const target = hostPath(ctx.root, rel);
  // Node has no mkfifo(2); FIFOs are rare enough in images for one process each.
  const made = await execa('mkfifo', ['-m', '600', '--', target], { reject: false });
  if (made.failed) {
    ctx.onNotice(entry.rel, `fifo skipped: ${made.stderr.trim() || made.message}`);
    return;
  }
  noteMade(ctx, rel, 'other');
  if (ctx.chown) lchownSync(target, entry.uid, entry.gid);
  chmodSync(target, entry.mode);
  utimesSync(target, entry.mtime, entry.mtime);
}
