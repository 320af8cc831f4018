/**
 * Writes one layer entry into the tree (runtime-spec 2.3 "Per entry", after go-archive
 * `createTarFile`). The entry's own path is never followed: whatever is there is removed first, unless
 * directory meets directory, and files are opened with O_EXCL|O_NOFOLLOW so nothing is ever written
 * through a symlink.
 */
import { constants } from 'node:fs';
import { lchown, link, lstat, lutimes, mkdir, open, rm, symlink, chmod, utimes } from 'node:fs/promises';
import { execa } from 'execa';
import type { ExtractContext } from './extract-context.js';
import { prepareParent } from './extract-context.js';
import { invalidEntry } from './limits.js';
import { hostPath, resolveParentInRoot } from './resolve-in-root.js';
import type { LayerEntry } from './tar-entries.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `entry` under `ctx.root`; directory modes and times are deferred to `ctx.dirs`. */
export async function writeEntry(ctx: ExtractContext, entry: LayerEntry): Promise<void> {
  const rel = entry.rel === '' ? '' : await prepareParent(ctx, entry.name, entry.rel);
  const target = hostPath(ctx.root, rel);
  if (entry.xattrs.length > 0)
    ctx.onNotice(entry.rel, `extended attributes not applied: ${entry.xattrs.join(', ')}`);
  if (entry.type === 'character-device' || entry.type === 'block-device') {
    ctx.onNotice(entry.rel, `${entry.type} skipped: device nodes are never created from a layer`);
    return;
  }
  if (entry.rel === '' && entry.type !== 'directory')
    throw invalidEntry(entry.name, 'the layer root must be a directory');
  const keepDir = await clearTarget(ctx, target, entry.type === 'directory');
  switch (entry.type) {
    case 'directory':
      if (!keepDir) await mkdir(target, 0o700);
      await owner(ctx, target, entry);
      ctx.dirs.set(rel, { mode: entry.mode, atime: entry.mtime, mtime: entry.mtime });
      return;
    case 'file':
      await writeFile(ctx, target, entry);
      return;
    case 'symlink':
      await symlink(entry.linkname ?? '', target);
      await owner(ctx, target, entry);
      await lutimes(target, entry.mtime, entry.mtime);
      return;
    case 'link':
      await hardlink(ctx, target, entry);
      return;
    case 'fifo':
      await fifo(ctx, target, entry);
      return;
  }
}

/** Removes what occupies `target`; returns true when it is a directory that a directory entry keeps. */
async function clearTarget(ctx: ExtractContext, target: string, entryIsDir: boolean): Promise<boolean> {
  const info = await lstat(target).catch(() => undefined);
  if (info === undefined) return false;
  if (info.isDirectory() && entryIsDir) return true;
  await rm(target, { recursive: true, force: true });
  // Anything cached below a removed directory or through a removed symlink is stale now.
  if (info.isDirectory() || info.isSymbolicLink()) ctx.parents.clear();
  return false;
}

async function writeFile(ctx: ExtractContext, target: string, entry: LayerEntry): Promise<void> {
  const handle = await open(target, CREATE_FLAGS, 0o600);
  try {
    for await (const chunk of entry.body) await handle.write(chunk);
    if (ctx.chown) await handle.chown(entry.uid, entry.gid);
    // After chown, which clears setuid and setgid.
    await handle.chmod(entry.mode);
    await handle.utimes(entry.mtime, entry.mtime);
  } finally {
    await handle.close();
  }
}

async function hardlink(ctx: ExtractContext, target: string, entry: LayerEntry): Promise<void> {
  const linkname = entry.linkname ?? '';
  const source = hostPath(ctx.root, await resolveParentInRoot(ctx.root, linkname));
  const info = await lstat(source).catch(() => undefined);
  if (info === undefined)
    throw invalidEntry(
      entry.name,
      `hardlink target /${linkname} is outside the layer (nothing was extracted there)`,
    );
  if (info.isDirectory()) throw invalidEntry(entry.name, `hardlink target /${linkname} is a directory`);
  await link(source, target);
}

async function fifo(ctx: ExtractContext, target: string, entry: LayerEntry): Promise<void> {
  const made = await execa('mkfifo', ['-m', '600', '--', target], { reject: false });
  if (made.failed) {
    ctx.onNotice(entry.rel, `fifo skipped: ${made.stderr.trim() || made.message}`);
    return;
  }
  await owner(ctx, target, entry);
  await chmod(target, entry.mode);
  await utimes(target, entry.mtime, entry.mtime);
}

async function owner(ctx: ExtractContext, target: string, entry: LayerEntry): Promise<void> {
  if (ctx.chown) await lchown(target, entry.uid, entry.gid);
}
