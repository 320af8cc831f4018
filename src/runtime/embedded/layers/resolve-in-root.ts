/**
 * Path resolution with chroot semantics in userland, as cyphar/filepath-securejoin does: every symlink
 * met on the way is read and followed *inside* the root, an absolute target restarts at the root and
 * `..` stops at it. Safe here because nothing else writes to a layer while it is being extracted
 * (docs/embedded-runtime.md#applying-a-layer), so there is no race between the check and the use. Synchronous, like all the
 * per-entry filesystem work: thousands of tiny syscalls cost several times more through the libuv
 * thread pool than they take.
 */
import type { Stats } from 'node:fs';
import { lstatSync, readlinkSync } from 'node:fs';
import { DevenvError } from '../../../errors.js';

/** Linux gives up after 40 symlinks (MAXSYMLINKS); so do we. */
export const MAX_SYMLINKS = 40;

/**
 * Says whether the resolved path `rel` (relative to the root) is a symlink. The default asks the
 * filesystem; an extraction into a tree it alone has written answers from what it made.
 */
export type SymlinkTest = (root: string, rel: string) => boolean;

const lstatSymlinkTest: SymlinkTest = (root, rel) => tryLstat(hostPath(root, rel))?.isSymbolicLink() === true;

/**
 * Resolves `rel` (slash-separated, relative to `root`) to a path under `root`, following every
 * symlink in-root, including the last component. Components that do not exist are kept as spelled,
 * so the result may name something yet to be created. Throws `DEVENV_ARCHIVE_INVALID` after
 * {@link MAX_SYMLINKS} links (ELOOP).
 * @returns the resolved path relative to `root` (`''` for the root itself), without `.` or `..`.
 */
export function resolveInRoot(root: string, rel: string, isSymlink: SymlinkTest = lstatSymlinkTest): string {
  const done: string[] = [];
  const todo = split(rel).reverse();
  let links = 0;
  while (todo.length > 0) {
    const part = todo.pop() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    done.push(part);
    const currentRel = done.join('/');
    if (!isSymlink(root, currentRel)) continue;
    if (++links > MAX_SYMLINKS)
      throw new DevenvError('DEVENV_ARCHIVE_INVALID', `too many levels of symbolic links resolving ${rel}`);
    const target = readlinkSync(hostPath(root, currentRel));
    done.pop();
    if (target.startsWith('/')) done.length = 0;
    todo.push(...split(target).reverse());
  }
  return done.join('/');
}

/**
 * Resolves the parent directory of `rel` in-root and joins the last component unresolved, the way a
 * file is created: the entry itself is never followed, so a symlink there is replaced, not written
 * through. Returns a path relative to `root`.
 */
export function resolveParentInRoot(
  root: string,
  rel: string,
  isSymlink: SymlinkTest = lstatSymlinkTest,
): string {
  const slash = rel.lastIndexOf('/');
  if (slash < 0) return rel;
  const parent = resolveInRoot(root, rel.slice(0, slash), isSymlink);
  const base = rel.slice(slash + 1);
  return parent === '' ? base : `${parent}/${base}`;
}

/** `root` joined with a relative path produced by this module (never contains `..`). */
export function hostPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

/**
 * lstat, or undefined when nothing is there (ENOENT, or ENOTDIR below a file). ENOENT is the common
 * answer while a layer is extracted into a new tree, so it is asked for without an exception: Node
 * builds an Error with a stack for each one, which cost more than the system call (~10 µs against
 * ~2 µs, once per entry).
 */
export function tryLstat(file: string): Stats | undefined {
  try {
    return lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function split(value: string): string[] {
  return value.split('/').filter((part) => part !== '');
}
