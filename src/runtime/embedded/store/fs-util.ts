/** Small filesystem helpers the store parts share. */
import { lstat, readdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';

/** True when something (of any type, links not followed) exists at `file`. */
export async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/** Entry names of `dir`, sorted; empty when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Bytes used by the regular files under `target` (links not followed), like `du --apparent-size`. */
export async function treeSize(target: string): Promise<number> {
  const info = await lstat(target).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const name of await listDir(target)) total += await treeSize(path.join(target, name));
  return total;
}
