/**
 * State shared by the entries of one extraction: where the tree is, what to defer until the end, and
 * which parent directories are already known to be safe.
 */
import { chmodSync, lchownSync, mkdirSync } from 'node:fs';
import { invalidEntry } from '../../../image/layer/layer-limits.js';
import { hostPath, resolveInRoot, tryLstat } from './resolve-in-root.js';

/** Called for every entry or attribute that is deliberately not reproduced (devices, xattrs…). */
export type NoticeHandler = (path: string, message: string) => void;

/** Metadata applied to a directory once all entries are written (chmod could lock us out earlier). */
export interface DeferredDir {
  mode: number | undefined;
  atime: Date;
  mtime: Date;
}

/** What is at a path of the tree, as far as an extraction needs to know. */
export type EntryKind = 'directory' | 'symlink' | 'other';

/** One extraction in progress. */
export interface ExtractContext {
  /** Host path of the tree being written: a new diff, a snapshot, or a merged overlay view. */
  root: string;
  /** Whether to apply the entries' owners; off when not root (chown would fail with EPERM). */
  chown: boolean;
  onNotice: NoticeHandler;
  /** Resolved relative dir path → metadata to set last, deepest first. */
  dirs: Map<string, DeferredDir>;
  /** Entry parent path → its resolved path, valid until a directory or symlink is removed. */
  parents: Map<string, string>;
  /**
   * Everything this extraction has made, by resolved relative path, while the tree holds nothing
   * else: the extraction then answers "what is there?" from it instead of asking the filesystem
   * (an lstat per entry and per parent, ~14 µs each here). Undefined for a tree that had content
   * before (a snapshot, a merged view), and from the first removal on, which may take with it
   * anything below.
   */
  made: Map<string, EntryKind> | undefined;
}

/**
 * A fresh context for `root`. `empty` says that `root` was created empty for this extraction and
 * that nothing else writes to it while it runs (a base layer's new diff, a new volume's folder).
 */
export function extractContext(
  root: string,
  chown: boolean,
  onNotice: NoticeHandler,
  empty = false,
): ExtractContext {
  return { root, chown, onNotice, dirs: new Map(), parents: new Map(), made: empty ? new Map() : undefined };
}

/** What is at the resolved path `rel` of the tree, or undefined when nothing is. */
export function kindAt(ctx: ExtractContext, rel: string): EntryKind | undefined {
  if (ctx.made !== undefined) return rel === '' ? 'directory' : ctx.made.get(rel);
  const info = tryLstat(hostPath(ctx.root, rel));
  if (info === undefined) return undefined;
  return info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symlink' : 'other';
}

/** Records that the extraction made `kind` at the resolved path `rel`. */
export function noteMade(ctx: ExtractContext, rel: string, kind: EntryKind): void {
  ctx.made?.set(rel, kind);
}

/** Records that something was removed at `rel`: from now on, the filesystem is asked. */
export function noteRemoved(ctx: ExtractContext): void {
  ctx.made = undefined;
}

/** The symlink test of path resolution inside the tree of `ctx`. */
export function symlinkTest(ctx: ExtractContext): (root: string, rel: string) => boolean {
  return (_root, rel) => kindAt(ctx, rel) === 'symlink';
}

/**
 * Resolves the parent of entry `rel` in-root, creates what is missing (0755, root-owned, as Docker
 * does) and returns the entry's own resolved path. The existing directory that gains a child keeps its
 * times: they are recorded here and restored at the end.
 */
export function prepareParent(ctx: ExtractContext, name: string, rel: string): string {
  const slash = rel.lastIndexOf('/');
  const parentRel = slash < 0 ? '' : rel.slice(0, slash);
  const base = slash < 0 ? rel : rel.slice(slash + 1);
  let parent = ctx.parents.get(parentRel);
  if (parent === undefined) {
    parent = resolveInRoot(ctx.root, parentRel, symlinkTest(ctx));
    makeDirs(ctx, name, parent);
    ctx.parents.set(parentRel, parent);
  }
  rememberTimes(ctx, parent);
  return parent === '' ? base : `${parent}/${base}`;
}

function makeDirs(ctx: ExtractContext, name: string, dir: string): void {
  const parts = dir === '' ? [] : dir.split('/');
  let existing = parts.length;
  for (; existing >= 0; existing--) {
    const kind = kindAt(ctx, parts.slice(0, existing).join('/'));
    if (kind === undefined) continue;
    if (kind !== 'directory')
      throw invalidEntry(name, `parent ${parts.slice(0, existing).join('/')} is not a directory`);
    break;
  }
  if (existing === parts.length) return;
  rememberTimes(ctx, parts.slice(0, existing).join('/'));
  for (let i = existing + 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    const created = hostPath(ctx.root, rel);
    mkdirSync(created);
    chmodSync(created, 0o755);
    if (ctx.chown) lchownSync(created, 0, 0);
    noteMade(ctx, rel, 'directory');
    // Its times as made, restored at the end once its children have changed them (an lstat now
    // would read the same).
    const now = new Date();
    ctx.dirs.set(rel, { mode: undefined, atime: now, mtime: now });
  }
}

function rememberTimes(ctx: ExtractContext, dir: string): void {
  if (ctx.dirs.has(dir)) return;
  const info = tryLstat(hostPath(ctx.root, dir));
  if (info !== undefined) ctx.dirs.set(dir, { mode: undefined, atime: info.atime, mtime: info.mtime });
}
