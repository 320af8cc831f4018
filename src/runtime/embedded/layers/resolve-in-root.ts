/**
 * Path resolution with chroot semantics in userland, as cyphar/filepath-securejoin does: every symlink
 * met on the way is read and followed *inside* the root, an absolute target restarts at the root and
 * `..` stops at it. Safe here because nothing else writes to a layer while it is being extracted
 * (runtime-spec 7.3), so there is no race between the check and the use.
 */
import { lstat, readlink } from 'node:fs/promises';
import { DevenvError } from '../../../errors.js';

/** Linux gives up after 40 symlinks (MAXSYMLINKS); so do we. */
export const MAX_SYMLINKS = 40;

/**
 * Resolves `rel` (slash-separated, relative to `root`) to a host path under `root`, following every
 * symlink in-root, including the last component. Components that do not exist are kept as spelled,
 * so the result may name something yet to be created. Throws `DEVENV_ARCHIVE_INVALID` after
 * {@link MAX_SYMLINKS} links (ELOOP).
 * @returns the resolved path relative to `root` (`''` for the root itself).
 */
export async function resolveInRoot(root: string, rel: string): Promise<string> {
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
    const candidate = [...done, part];
    const info = await lstat(hostPath(root, candidate.join('/'))).catch(() => undefined);
    if (info?.isSymbolicLink() !== true) {
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS)
      throw new DevenvError('DEVENV_ARCHIVE_INVALID', `too many levels of symbolic links resolving ${rel}`);
    const target = await readlink(hostPath(root, candidate.join('/')));
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
export async function resolveParentInRoot(root: string, rel: string): Promise<string> {
  const slash = rel.lastIndexOf('/');
  if (slash < 0) return rel;
  const parent = await resolveInRoot(root, rel.slice(0, slash));
  const base = rel.slice(slash + 1);
  return parent === '' ? base : `${parent}/${base}`;
}

/** `root` joined with a relative path produced by this module (never contains `..`). */
export function hostPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

function split(value: string): string[] {
  return value.split('/').filter((part) => part !== '');
}
