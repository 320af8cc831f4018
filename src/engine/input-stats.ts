/**
 * The stat of every file and folder the image's inputs digest covers (the COPY sources, walked, and
 * each base tarball), so a later command can tell by stat alone that the digest still holds. A
 * folder's mtime changes when an entry is added, removed or renamed in it, a file's size, mtime or
 * inode when its content changes, its ctime and mode on chmod.
 */
import { lstat, readdir } from '../util/fs-async.js';
import path from '../util/node-path.js';
import type { Plan } from '../plan/types.js';
import { changedJustNow, stampOf } from './plan-cache.js';
import type { FileStamp } from './plan-cache.js';

/** One file or folder of the inputs, relative to the project folder. */
export interface InputEntry extends FileStamp {
  path: string;
  mode: number;
}

async function entryOf(projectDir: string, rel: string): Promise<InputEntry | undefined> {
  const info = await lstat(path.join(projectDir, rel)).catch(() => undefined);
  return info === undefined ? undefined : { path: rel, mode: info.mode, ...stampOf(info) };
}

async function walk(projectDir: string, rel: string, out: InputEntry[]): Promise<boolean> {
  const entry = await entryOf(projectDir, rel);
  if (entry === undefined) return false;
  out.push(entry);
  if ((entry.mode & 0o170000) !== 0o040000) return true;
  const names = await readdir(path.join(projectDir, rel)).catch(() => undefined);
  if (names === undefined) return false;
  for (const name of names.sort())
    if (!(await walk(projectDir, path.posix.join(rel, name), out))) return false;
  return true;
}

/** The paths the inputs digest reads: the COPY sources and the base tarballs. */
function inputRoots(plan: Plan): string[] {
  const tarballs = plan.image.prerequisites.flatMap((p) => (p.kind === 'tarball' ? [p.tarball] : []));
  return [...plan.image.contextPaths, ...tarballs];
}

/**
 * The entries of the inputs as they are now, taken before the digest is computed; undefined when one
 * cannot be read or changed too recently to be trusted by stat later.
 */
export async function snapshotInputs(
  plan: Plan,
  projectDir: string,
  now: number,
): Promise<InputEntry[] | undefined> {
  const entries: InputEntry[] = [];
  for (const root of inputRoots(plan)) if (!(await walk(projectDir, root, entries))) return undefined;
  return entries.some((e) => changedJustNow(e, now)) ? undefined : entries;
}

/** True when every entry still has the stat it was recorded with, and the roots are the same. */
export async function inputsUnchanged(
  plan: Plan,
  projectDir: string,
  entries: readonly InputEntry[],
): Promise<boolean> {
  const roots = new Set(inputRoots(plan));
  if (![...roots].every((root) => entries.some((e) => e.path === root))) return false;
  const now = await Promise.all(entries.map((e) => entryOf(projectDir, e.path)));
  return entries.every((e, i) => {
    const n = now[i];
    return (
      n !== undefined &&
      n.mode === e.mode &&
      n.size === e.size &&
      n.mtimeMs === e.mtimeMs &&
      n.ctimeMs === e.ctimeMs &&
      n.ino === e.ino
    );
  });
}
