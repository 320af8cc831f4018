/**
 * A tree listing for comparisons: one line per path with type, mode, owner, size, content digest and
 * link target, sorted. Two trees are equal when their listings are.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** Options for {@link treeListing}. */
export interface ListingOptions {
  /** Leave out mtimes (GNU tar and we both set them, but directories touched later may differ). */
  mtimes?: boolean;
  /** Leave out the root directory's own line. */
  root?: boolean;
}

/** Lists the tree at `root`. Char 0:0 whiteouts show as `whiteout`. */
export async function treeListing(root: string, options: ListingOptions = {}): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const full = rel === '' ? root : path.join(root, rel);
    const info = await lstat(full);
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    let kind = 'other';
    let extra = '';
    if (info.isDirectory()) kind = 'dir';
    else if (info.isFile()) {
      kind = 'file';
      extra = `${info.size} ${createHash('sha256')
        .update(await readFile(full))
        .digest('hex')
        .slice(0, 16)}`;
    } else if (info.isSymbolicLink()) {
      kind = 'symlink';
      extra = `-> ${await readlink(full)}`;
    } else if (info.isCharacterDevice()) kind = info.rdev === 0 ? 'whiteout' : `char ${info.rdev}`;
    else if (info.isFIFO()) kind = 'fifo';
    const mtime =
      options.mtimes === true && !info.isSymbolicLink() ? ` @${Math.floor(info.mtimeMs / 1000)}` : '';
    if (rel !== '' || options.root === true)
      lines.push(
        `/${rel} ${kind} ${kind === 'symlink' ? '' : mode} ${info.uid}:${info.gid} ${extra}${mtime}`.trim(),
      );
    if (info.isDirectory())
      for (const name of (await readdir(full)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
  };
  await walk('');
  return lines;
}

/** Whether two paths are the same inode (hardlink check against host files). */
export async function sameInode(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([lstat(a), lstat(b)]);
  return x.dev === y.dev && x.ino === y.ino;
}
