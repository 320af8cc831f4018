/**
 * Writing COPY and ADD sources into a step's root with Docker's rules (docs/embedded-runtime.md#building):
 * the sources come found and followed by `collectCopySources`; links inside a copied folder stay
 * links, a folder copies its contents, and the destination is a folder when it ends in `/`, when
 * there are several sources, or when it already is one. Files land in the step's merged root, each
 * path resolved in-root, so a link in the image can never send a write to the host.
 */
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  symlink,
} from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { resolveInRoot } from '../layers/index.js';
import type { Owner } from './image-users.js';

/** One source as found: its path relative to its root and where to read it. */
export interface FoundSource {
  /** Slash-separated, relative to the root it was found in. */
  rel: string;
  /** Where this process reads it. */
  full: string;
  info: Stats;
}

/** Normalises a path to a root-relative one that cannot climb out (`../x` stays at the root). */
function cleanRel(source: string): string {
  return path.posix.normalize(`/${source}`).slice(1);
}

/** How copied entries get their owner and mode. */
export interface CopyOwnership {
  /** `--chown`; undefined keeps the source's owner when `keepOwner`, else 0:0. */
  owner?: Owner | undefined;
  keepOwner: boolean;
  /** `--chmod`. */
  mode?: number | undefined;
}

interface CopyRun {
  view: string;
  ownership: CopyOwnership;
  /** Source inode → destination (relative to the view), for hardlinks within one copy. */
  links: Map<string, string>;
}

/** True for a copy from a stage or image without --chown: owners and modes come across as they are. */
function keepsOwner(run: CopyRun): boolean {
  return run.ownership.keepOwner && run.ownership.owner === undefined;
}

function ownerOf(run: CopyRun, info: Stats): Owner {
  if (run.ownership.owner !== undefined) return run.ownership.owner;
  return run.ownership.keepOwner ? { uid: info.uid, gid: info.gid } : { uid: 0, gid: 0 };
}

/**
 * Creates the folders of `rel` that are missing under the root `view` (mode 0755, owned by
 * `owner`), resolving each in-root; returns the resolved path. A part that exists and is not a
 * folder is an error naming it.
 */
export async function makeDirsInRoot(view: string, rel: string, owner: Owner): Promise<string> {
  let current = '';
  for (const part of rel.split('/').filter((p) => p !== '')) {
    current = resolveInRoot(view, path.posix.join(current, part));
    const full = path.join(view, current);
    const info = await lstat(full).catch(() => undefined);
    if (info === undefined) {
      // A link may lead to a path whose parents are missing too.
      const parent = path.posix.dirname(current);
      if (parent !== '.' && (await lstat(path.join(view, parent)).catch(() => undefined)) === undefined)
        await makeDirsInRoot(view, parent, owner);
      await mkdir(full, { mode: 0o755 });
      await chmod(full, 0o755);
      await lchown(full, owner.uid, owner.gid);
    } else if (!info.isDirectory()) {
      throw new DevenvError('DEVENV_CONFIG_INVALID', `/${current} is not a folder in the image`, {
        hint: 'change the destination of the step, or remove that file in an earlier step',
      });
    }
  }
  return current;
}

/** Folders a copy creates belong to root, or to the --chown owner. */
function makeDirs(run: CopyRun, rel: string): Promise<string> {
  return makeDirsInRoot(run.view, rel, run.ownership.owner ?? { uid: 0, gid: 0 });
}

async function copyEntry(run: CopyRun, full: string, info: Stats, destRel: string): Promise<void> {
  const parent = await makeDirs(run, path.posix.dirname(destRel));
  const target = path.posix.join(parent, path.posix.basename(destRel));
  const dest = path.join(run.view, target);
  const existing = await lstat(dest).catch(() => undefined);
  if (info.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(dest, { force: true });
    if (existing === undefined || !existing.isDirectory()) await mkdir(dest);
    for (const name of (await readdir(full)).sort()) {
      const child = path.join(full, name);
      await copyEntry(run, child, await lstat(child), path.posix.join(target, name));
    }
  } else {
    if (existing !== undefined) await rm(dest, { recursive: existing.isDirectory(), force: true });
    const inode = `${info.dev}:${info.ino}`;
    // Hardlinks survive a copy from a stage; the build context sends every file on its own.
    const linked = keepsOwner(run) && info.nlink > 1 && !info.isSymbolicLink();
    const first = linked ? run.links.get(inode) : undefined;
    if (first !== undefined) {
      await link(path.join(run.view, first), dest);
      return;
    }
    if (info.isSymbolicLink()) await symlink(await readlink(full), dest);
    else if (info.isFile()) await copyFile(full, dest, constants.COPYFILE_EXCL);
    else
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `${full} is a special file; a copy step can send only files, folders and symbolic links`,
        {
          hint: 'remove it, or narrow the src of the copy step so it leaves it out',
        },
      );
    if (linked) run.links.set(inode, target);
  }
  const owner = ownerOf(run, info);
  const mode = run.ownership.mode ?? info.mode & 0o7777;
  // Linux clears setuid and setgid when a file's owner is set. Docker's copy from the build context
  // (or with --chown) sets the mode first and the owner last, so those bits are lost; a copy from a
  // stage keeps the owner and sets the mode last, so they survive. Both orders are kept as Docker has them.
  if (keepsOwner(run)) {
    await lchown(dest, owner.uid, owner.gid);
    if (!info.isSymbolicLink()) await chmod(dest, mode);
  } else {
    if (!info.isSymbolicLink()) await chmod(dest, mode);
    await lchown(dest, owner.uid, owner.gid);
  }
  await lutimes(dest, info.atime, info.mtime);
}

/**
 * Copies `sources` to `dest` (absolute, in the image) inside the merged root `view`. `destIsDir` is
 * the instruction's own verdict (a trailing `/` or several sources).
 */
export async function copyInto(
  view: string,
  sources: readonly FoundSource[],
  dest: string,
  destIsDir: boolean,
  ownership: CopyOwnership,
): Promise<void> {
  const run: CopyRun = { view, ownership, links: new Map() };
  const destRel = cleanRel(dest);
  const existing = await lstat(path.join(view, resolveInRoot(view, destRel))).catch(() => undefined);
  const intoDir = destIsDir || sources.length > 1 || existing?.isDirectory() === true;
  for (const source of sources) {
    if (source.info.isDirectory()) {
      const dir = await makeDirs(run, destRel);
      // The folder itself takes the source folder's mode, and root (or --chown) as its owner, even
      // from a stage, as Docker's copy does.
      const owner = ownership.owner ?? { uid: 0, gid: 0 };
      await chmod(path.join(view, dir), ownership.mode ?? source.info.mode & 0o7777);
      await lchown(path.join(view, dir), owner.uid, owner.gid);
      for (const name of (await readdir(source.full)).sort()) {
        const child = path.join(source.full, name);
        await copyEntry(run, child, await lstat(child), path.posix.join(dir, name));
      }
    } else {
      const target = intoDir ? path.posix.join(destRel, path.posix.basename(source.rel)) : destRel;
      await copyEntry(run, source.full, source.info, target);
    }
  }
}
