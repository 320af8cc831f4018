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
}

/** A fresh context for `root`. */
export function extractContext(root: string, chown: boolean, onNotice: NoticeHandler): ExtractContext {
  return { root, chown, onNotice, dirs: new Map(), parents: new Map() };
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
    parent = resolveInRoot(ctx.root, parentRel);
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
    const info = tryLstat(hostPath(ctx.root, parts.slice(0, existing).join('/')));
    if (info === undefined) continue;
    if (!info.isDirectory())
      throw invalidEntry(name, `parent ${parts.slice(0, existing).join('/')} is not a directory`);
    break;
  }
  if (existing === parts.length) return;
  rememberTimes(ctx, parts.slice(0, existing).join('/'));
  for (let i = existing + 1; i <= parts.length; i++) {
    const created = hostPath(ctx.root, parts.slice(0, i).join('/'));
    mkdirSync(created);
    chmodSync(created, 0o755);
    if (ctx.chown) lchownSync(created, 0, 0);
  }
}

function rememberTimes(ctx: ExtractContext, dir: string): void {
  if (ctx.dirs.has(dir)) return;
  const info = tryLstat(hostPath(ctx.root, dir));
  if (info !== undefined) ctx.dirs.set(dir, { mode: undefined, atime: info.atime, mtime: info.mtime });
}
