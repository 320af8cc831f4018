/**
 * File-system failures the user can fix, said in words: which path is in the way and why, instead of
 * `EACCES: permission denied, mkdir …` reported as a bug in devenv.
 */
import { access, constants, mkdir, stat } from './fs-async.js';
import path from './node-path.js';
import { DevenvError } from '../errors.js';

/** The nearest existing ancestor of `target` (itself included), and whether it is a folder. */
async function nearestExisting(target: string): Promise<{ at: string; isDir: boolean }> {
  for (let at = path.resolve(target); ; at = path.dirname(at)) {
    const info = await stat(at).catch(() => undefined);
    if (info !== undefined) return { at, isDir: info.isDirectory() };
    if (at === path.dirname(at)) return { at, isDir: true };
  }
}

/**
 * Why `target` could not be created, read or written, as a phrase naming the path in the way, or
 * `undefined` when `error` is not such a failure (then it stays a bug).
 */
export async function fsProblem(error: unknown, target: string): Promise<string | undefined> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST': {
      const { at, isDir } = await nearestExisting(target);
      return isDir ? `${target} is in the way` : `${at} is a file, not a folder`;
    }
    case 'EACCES':
    case 'EPERM': {
      const { at } = await nearestExisting(target);
      return at === path.resolve(target)
        ? `permission denied on ${target}`
        : `permission denied: you cannot create anything in ${at}`;
    }
    case 'EROFS':
      return `${(await nearestExisting(target)).at} is on a read-only file system`;
    case 'ENOENT': {
      // A recursive mkdir on a read-only mount reports ENOENT; ask the folder that does exist.
      const { at, isDir } = await nearestExisting(target);
      if (!isDir) return `${at} is a file, not a folder`;
      const denied = await access(at, constants.W_OK).then(
        () => undefined,
        (inner: unknown) => inner,
      );
      if (denied !== undefined) return fsProblem(denied, at);
      const parent = path.dirname(path.resolve(target));
      if (at !== parent) return `${parent} does not exist`;
      // The folder exists and says it is writable, yet nothing can be made in it: /proc, /sys.
      return `${at} does not take new files`;
    }
    case 'EISDIR':
      return `${target} is a folder, not a file`;
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'ELOOP':
      return `${target} is a loop of symbolic links`;
    default:
      return undefined;
  }
}

/** Errnos that say something about the host (permissions, mounts, space), never about devenv's logic. */
const HOST_ERRNOS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/**
 * The last line of defence at the command boundary: a permission, read-only or full-disk failure
 * that no caller turned into a message of its own still names its path instead of being reported as
 * a bug. `undefined` for anything else.
 */
export function hostFsError(error: unknown): DevenvError | undefined {
  const { code, path: where } = (error ?? {}) as NodeJS.ErrnoException;
  if (code === undefined || where === undefined || !HOST_ERRNOS.has(code)) return undefined;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new DevenvError('DEVENV_NO_SPACE', `the disk is full: cannot write ${where}`, {
      hint: 'free some space on that file system, then run the command again',
      cause: error,
    });
  const denied = code === 'EROFS' ? 'is on a read-only file system' : 'cannot be read or written by you';
  return new DevenvError('DEVENV_PERMISSION_DENIED', `${where} ${denied}`, {
    hint: `check its owner and mode (ls -ld ${where}), or run devenv as the user who owns it`,
    cause: error,
  });
}

/** What a folder is for and how to put it elsewhere, for the error when it cannot be made or written. */
export interface FolderRole {
  /** Such as "devenv state folder". */
  label: string;
  hint: string;
}

/** A {@link DevenvError} for `error` on `target`, or `error` itself when it is not the user's to fix. */
export async function asFsError(
  error: unknown,
  target: string,
  doing: string,
  hint: string,
): Promise<unknown> {
  const problem = await fsProblem(error, target);
  if (problem === undefined) return error;
  const code =
    (error as NodeJS.ErrnoException).code === 'ENOSPC' ? 'DEVENV_NO_SPACE' : 'DEVENV_PERMISSION_DENIED';
  return new DevenvError(code, `${doing}: ${problem}`, { hint, cause: error });
}

/**
 * Creates `dir` (and its parents) when missing and checks that it can be written; a failure is a
 * {@link DevenvError} naming the folder, the path in the way and how to choose another place.
 */
export async function ensureWritableDir(dir: string, role: FolderRole, mode = 0o755): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw await asFsError(error, dir, `cannot create or write the ${role.label} ${dir}`, role.hint);
  }
}

/** The per-user state folder (`$XDG_STATE_HOME/devenv`): environments' locks, cookies, caches. */
export const STATE_FOLDER: FolderRole = {
  label: 'devenv state folder',
  hint: 'set XDG_STATE_HOME to a folder you can write (devenv keeps its state in $XDG_STATE_HOME/devenv)',
};
