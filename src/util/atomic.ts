/**
 * Writes that never leave a half-written file under its final name: temp file in the same folder →
 * fsync → rename → fsync of the folder (docs/reliability.md, rule 4).
 */
import { crypto } from './crypto.js';
import { open, rename, rm } from './fs-async.js';
import path from './node-path.js';

/** fsyncs a folder so a rename inside it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  await syncFile(dir);
}

/** fsyncs a file through a descriptor of its own (in the thread pool, so the caller can go on). */
export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A temp name next to `file`, on the same filesystem, that no other writer picks. */
export function tempNameFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Writes `data` to `file` atomically with the given mode. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = tempNameFor(file);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(path.dirname(file));
}

/**
 * Publishes a finished `partial` file under its final name: fsync (through a new descriptor, since
 * the writer's stream closed its own), rename, fsync of the folder. Until then `file` is untouched.
 */
export async function commitPartial(partial: string, file: string): Promise<void> {
  const handle = await open(partial, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  await syncDir(path.dirname(path.resolve(file)));
}
