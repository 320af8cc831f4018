/** A listing of a directory tree (path, type, mode, owner, size, link target) for comparing copies. */
import { lstat, readdir, readlink } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';

/**
 * One sorted line per entry below `root`, skipping names in `exclude` (relative paths). Two trees
 * with equal listings hold the same names, types, modes, owners, sizes and link targets.
 */
export async function treeListing(root: string, exclude: ReadonlySet<string> = new Set()): Promise<string[]> {
  const lines: string[] = [];
  async function walk(relative: string): Promise<void> {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      if (exclude.has(rel)) continue;
      const full = path.join(root, rel);
      const info = await lstat(full);
      const type = info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? 'f' : 'o';
      const target = type === 'l' ? await readlink(full) : '';
      const size = type === 'f' ? info.size : 0;
      lines.push(
        `${rel}\t${type}\t${(info.mode & 0o7777).toString(8)}\t${info.uid}:${info.gid}\t${size}\t${target}\t${info.rdev}`,
      );
      if (type === 'd') await walk(rel);
    }
  }
  await walk('');
  return lines;
}
