/**
 * Named volumes as records in the store: list, create, locate and remove. A volume appears under its
 * name only whole (made under a `.creating-*` name, then renamed), and disappears at once on removal
 * (renamed to `.removing-*`, then deleted), so a crash leaves either the volume or a leftover that
 * recovery and `devenv doctor --repair` clear.
 */
import { randomBytes } from '../../../util/crypto.js';
import { chmod, lstat, mkdir, rename } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { syncDir } from '../../../util/atomic.js';
import { removeTree } from '../../../util/remove-tree.js';
import type { VolumeSummary } from '../../runtime.js';
import { exists } from '../store/fs-util.js';
import { readJsonFile, readJsonOrThrow, writeJsonFile } from '../store/json-file.js';
import {
  REMOVING_PREFIX,
  VOLUME_DATA,
  VOLUME_RECORD,
  VolumeRecordSchema,
  creatingName,
  listVolumeNames,
} from '../store/volume-layout.js';
import type { VolumeStoreDeps } from './volume-deps.js';
import { checkedVolumeDir, noSuchVolume, withVolumeLock } from './volume-deps.js';

/**
 * Every volume with its labels, sorted by name. A volume whose record cannot be read is listed
 * without labels (`devenv doctor` names what is wrong with it), so it is never invisible.
 */
export async function listVolumes(deps: VolumeStoreDeps): Promise<VolumeSummary[]> {
  const volumes: VolumeSummary[] = [];
  for (const name of await listVolumeNames(deps.store.paths)) {
    const file = path.join(deps.store.paths.volumesDir, name, VOLUME_RECORD);
    const record = await readJsonFile(file, VolumeRecordSchema);
    volumes.push({ name, labels: record.state === 'ok' ? record.value.labels : {} });
  }
  return volumes;
}

/**
 * Creates volume `name` with `labels`, empty, its data folder mode 0755 like Docker's. A volume that
 * exists already is kept as it is, labels included (what `docker volume create` does), so two
 * concurrent creations of one name end with one volume.
 */
export async function createVolume(
  deps: VolumeStoreDeps,
  name: string,
  labels: Record<string, string>,
): Promise<void> {
  const dir = checkedVolumeDir(deps, name);
  await withVolumeLock(deps, name, `creating volume ${name}`, async () => {
    if (await exists(dir)) return;
    const { paths } = deps.store;
    await mkdir(paths.volumesDir, { recursive: true, mode: 0o700 });
    const temp = creatingName(paths, randomBytes(4).toString('hex'));
    await mkdir(temp, { mode: 0o755 });
    try {
      const data = path.join(temp, VOLUME_DATA);
      await mkdir(data);
      await chmod(data, 0o755);
      const created = new Date(deps.store.ctx.now()).toISOString();
      await writeJsonFile(path.join(temp, VOLUME_RECORD), { name, labels: { ...labels }, created }, 0o644);
      await syncDir(temp);
      await rename(temp, dir);
    } catch (error) {
      await removeTree(temp).catch(() => undefined);
      throw error;
    }
    await syncDir(paths.volumesDir);
  });
}

/** The host path of volume `name`'s data folder, for a container to bind; creates nothing. */
export async function volumeDataDir(deps: VolumeStoreDeps, name: string): Promise<string> {
  const dir = checkedVolumeDir(deps, name);
  const data = path.join(dir, VOLUME_DATA);
  if ((await lstat(data).catch(() => undefined))?.isDirectory() === true) return data;
  if (!(await exists(dir))) throw noSuchVolume(name);
  // The record tells a damaged volume (doctor repairs it) from one that is not there at all.
  await readJsonOrThrow(path.join(dir, VOLUME_RECORD), VolumeRecordSchema, `the record of volume ${name}`);
  throw new DevenvError('DEVENV_STORE', `volume ${name} has no ${VOLUME_DATA} folder: ${data}`, {
    hint: 'Run "devenv doctor --repair": it gives the volume an empty data folder again.',
  });
}

/**
 * Removes volume `name` and its contents. `usedBy` names the containers that mount it (the caller
 * reads them from the container records, see `containerVolumes`); while there are any the volume
 * stays, as `docker volume rm` refuses a volume in use.
 */
export async function removeVolume(
  deps: VolumeStoreDeps,
  name: string,
  usedBy: readonly string[],
): Promise<void> {
  const dir = checkedVolumeDir(deps, name);
  const doomed = await withVolumeLock(deps, name, `removing volume ${name}`, async () => {
    if (!(await exists(dir))) throw noSuchVolume(name);
    if (usedBy.length > 0)
      throw new DevenvError(
        'DEVENV_BUSY',
        `volume ${name} is in use by ${usedBy.length === 1 ? 'container' : 'containers'} ${usedBy.join(', ')}`,
        { hint: 'Remove the container first (devenv rm), then remove the volume.' },
      );
    // The name is left out: with the prefix, a 255-byte volume name would not fit.
    const aside = path.join(
      deps.store.paths.volumesDir,
      `${REMOVING_PREFIX}${randomBytes(8).toString('hex')}`,
    );
    await rename(dir, aside);
    await syncDir(deps.store.paths.volumesDir);
    return aside;
  });
  // Gone for everyone once renamed; the slow deletion needs no lock (recovery finishes it after a crash).
  await removeTree(doomed);
}
