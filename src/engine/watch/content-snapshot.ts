/**
 * What each watched path holds, by content: a save that writes the same bytes, or a `touch`, leaves
 * its entry unchanged, so it causes nothing. Mode and symlink targets count, as they do in the
 * image's input digest.
 */
import { createHash } from '../../util/crypto.js';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from '../../util/fs-async.js';
import path from '../../util/node-path.js';

/** One path's content as a short string: absent, a folder, a link target, or a file's digest. */
export async function entryFingerprint(file: string): Promise<string> {
  const info = await lstat(file).catch(() => undefined);
  if (info === undefined) return 'absent';
  const mode = (info.mode & 0o7777).toString(8);
  if (info.isDirectory()) return `dir:${mode}`;
  if (info.isSymbolicLink()) return `link:${await readlink(file).catch(() => '')}`;
  if (!info.isFile()) return `special:${mode}`;
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    // Unreadable now (removed mid-read, or no permission): a state of its own; the next event retries.
    return `unreadable:${mode}`;
  }
  return `file:${mode}:${hash.digest('hex')}`;
}

/**
 * Fingerprints of each start that `keep` passes and, for a folder, of the paths below it that `keep`
 * passes; a folder `keep` refuses is not entered (a project's node_modules is never read).
 */
export async function snapshotOf(
  starts: readonly string[],
  keep: (file: string) => boolean,
): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const walk = async (file: string): Promise<void> => {
    if (!keep(file) || snapshot.has(file)) return;
    const fingerprint = await entryFingerprint(file);
    snapshot.set(file, fingerprint);
    if (!fingerprint.startsWith('dir:')) return;
    for (const name of await readdir(file).catch(() => [])) await walk(path.join(file, name));
  };
  for (const start of starts) await walk(start);
  return snapshot;
}

/**
 * Updates `snapshot` with the current content of `files` and returns those whose content changed
 * (appeared, disappeared or differs), sorted.
 */
export async function changedEntries(
  snapshot: Map<string, string>,
  files: Iterable<string>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const file of files) {
    const now = await entryFingerprint(file);
    const before = snapshot.get(file) ?? 'absent';
    if (now === before) continue;
    changed.push(file);
    if (now === 'absent') snapshot.delete(file);
    else snapshot.set(file, now);
  }
  return changed.sort();
}

/** Paths whose fingerprint differs between two snapshots, sorted. */
export function snapshotDifference(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): string[] {
  const files = new Set([...before.keys(), ...after.keys()]);
  return [...files].filter((file) => before.get(file) !== after.get(file)).sort();
}
