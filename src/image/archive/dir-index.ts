/**
 * Indexes an OCI layout directory in place: regular files by their real path (hashed when first
 * needed), symlinks recorded and resolved in scope like a tar's. Nothing is followed while walking.
 */
import { lstat, readdir, readlink } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import type { ArchiveEntry, ArchiveIndex } from './archive-index.js';
import { invalidArchive } from './archive-index.js';
import { MAX_ENTRIES } from './archive-limits.js';

/** Indexes the directory `root` (an OCI image layout). */
export async function indexDirectory(root: string): Promise<ArchiveIndex> {
  const entries = new Map<string, ArchiveEntry>();
  let count = 0;
  async function walk(relative: string, depth: number): Promise<void> {
    if (depth > 16) throw invalidArchive(`${path.join(root, relative)} is nested too deeply`);
    for (const name of await readdir(path.join(root, relative))) {
      if (++count > MAX_ENTRIES) throw invalidArchive(`${root} has more than ${MAX_ENTRIES} entries`);
      const rel = relative === '' ? name : `${relative}/${name}`;
      const full = path.join(root, rel);
      const info = await lstat(full);
      if (info.isDirectory()) await walk(rel, depth + 1);
      else if (info.isSymbolicLink()) entries.set(rel, { type: 'symlink', target: await readlink(full) });
      else if (info.isFile())
        entries.set(rel, { type: 'file', file: full, size: info.size, digest: undefined });
    }
  }
  await walk('', 0);
  return { entries, source: root };
}
