/**
 * How named volumes sit in the store (see the layout in paths.ts): the names a volume may have, its
 * record, the temporary names of creations and removals in flight, and the lock that serialises the
 * operations on one volume. The operations themselves live in `../volumes/`; the store knows this
 * much so that recovery, `doctor` and `storage move` can see volumes.
 */
import { createHash } from '../../../util/crypto.js';
import path from '../../../util/node-path.js';
import { exactObject, record, string } from '../../../util/shape.js';
import type { Checked } from '../../../util/shape.js';
import { listDir } from './fs-util.js';
import type { StorePaths } from './paths.js';

/** Docker's rule for volume names (moby `volume/local`), so a name valid on one runtime is on both. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** A name is also a directory name; Linux allows 255 bytes. */
export const MAX_VOLUME_NAME = 255;
/** A volume's record, beside its data folder. */
export const VOLUME_RECORD = 'volume.json';
/** The folder holding the volume's contents, named as Docker's local driver names it. */
export const VOLUME_DATA = '_data';
/** Prefix of a volume being created under `volumes/` (a valid volume name never starts with a dot). */
export const CREATING_PREFIX = '.creating-';
/** `volumes/.creating-<pid>-<rand>`: the creator's pid in the name tells recovery whether it still runs. */
export function creatingName(paths: StorePaths, random: string): string {
  return path.join(paths.volumesDir, `${CREATING_PREFIX}${process.pid}-${random}`);
}

/** The creator's pid of a `.creating-<pid>-<rand>` name, when it has one. */
export function creatorOf(name: string): number | undefined {
  const match = /^\.creating-(\d+)-/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** Prefix of a volume renamed aside to be deleted. */
export const REMOVING_PREFIX = '.removing-';
/** Prefix of an import's scratch folder under `tmp/`. */
export const IMPORT_PREFIX = 'volume-import-';

/**
 * `volumes/<name>/volume.json`: the volume name (the same as its folder name), the labels given at
 * creation (as Docker keeps them) and the ISO 8601 time of creation.
 */
export const VolumeRecordSchema = exactObject({ name: string, labels: record(string), created: string });
export type VolumeRecord = Checked<typeof VolumeRecordSchema>;

/** True for a name Docker would accept for a volume. */
export function isVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name) && Buffer.byteLength(name) <= MAX_VOLUME_NAME;
}

/** `volumes/<name>`; the caller has checked the name with {@link isVolumeName}. */
export function volumeDir(paths: StorePaths, name: string): string {
  if (!isVolumeName(name)) throw new Error(`volumeDir: invalid volume name ${JSON.stringify(name)}`);
  return path.join(paths.volumesDir, name);
}

/**
 * The lock file serialising operations on volume `name`. Striped over 256 files like ingest locks,
 * because a flock file can never be deleted safely and volume names are unbounded.
 */
export function volumeLockFile(paths: StorePaths, name: string): string {
  const stripe = createHash('sha256').update(name).digest('hex').slice(0, 2);
  return path.join(paths.locksDir, `volume-${stripe}.lock`);
}

/** Names of the folders under `volumes/` that are volumes (not creations or removals in flight). */
export async function listVolumeNames(paths: StorePaths): Promise<string[]> {
  return (await listDir(paths.volumesDir)).filter(isVolumeName);
}
