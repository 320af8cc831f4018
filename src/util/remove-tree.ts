/**
 * Removes a directory tree even when parts of it are unreadable (mode-000 directories from an image,
 * overlayfs work dirs). As root `rm` alone succeeds; as an ordinary user the owner must first give
 * itself access back, which it always may.
 */
import { chmod, lstat, readdir, rm } from './fs-async.js';
import path from './node-path.js';

/** `rm -rf path`, retrying once after making every directory in it accessible to its owner. */
export async function removeTree(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    await grantAccess(target);
    await rm(target, { recursive: true, force: true });
  }
}

async function grantAccess(dir: string): Promise<void> {
  const info = await lstat(dir).catch(() => undefined);
  if (info?.isDirectory() !== true) return;
  await chmod(dir, (info.mode & 0o7777) | 0o700).catch(() => undefined);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) await grantAccess(path.join(dir, name));
}
