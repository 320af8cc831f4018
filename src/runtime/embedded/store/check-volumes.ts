/**
 * The volume half of the store check: every volume has a valid record naming it and a data folder,
 * and every volume a container mounts exists. A volume no container mounts is fine (Docker keeps
 * those too); leftovers of interrupted creations, removals and imports are found with the others.
 */
import { chmod, lstat, mkdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { syncDir } from '../../../util/atomic.js';
import type { StoreIssue } from './check-types.js';
import { containerVolumes } from './containers.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import type { StoreContext } from './store-context.js';
import { VOLUME_DATA, VOLUME_RECORD, VolumeRecordSchema, listVolumeNames } from './volume-layout.js';

/** What is wrong with volume `name`, or undefined when nothing is. */
async function volumeProblem(ctx: StoreContext, name: string): Promise<string | undefined> {
  const dir = path.join(ctx.paths.volumesDir, name);
  const record = await readJsonFile(path.join(dir, VOLUME_RECORD), VolumeRecordSchema);
  if (record.state === 'missing') return `${VOLUME_RECORD} is missing`;
  if (record.state === 'corrupt') return `${VOLUME_RECORD} is corrupt (${record.reason})`;
  if (record.value.name !== name) return `${VOLUME_RECORD} names another volume, ${record.value.name}`;
  const data = await lstat(path.join(dir, VOLUME_DATA)).catch(() => undefined);
  if (data?.isDirectory() !== true) return `its ${VOLUME_DATA} folder is missing`;
  return undefined;
}

/** Issues of the volumes in the store at `ctx`. */
export async function checkVolumes(ctx: StoreContext): Promise<StoreIssue[]> {
  const issues: StoreIssue[] = [];
  const names = await listVolumeNames(ctx.paths);
  for (const name of names) {
    const problem = await volumeProblem(ctx, name);
    if (problem !== undefined)
      issues.push({
        kind: 'broken-volume',
        path: path.join(ctx.paths.volumesDir, name),
        subject: name,
        message: `volume ${name}: ${problem}`,
      });
  }
  const known = new Set(names);
  for (const use of await containerVolumes(ctx)) {
    for (const volume of use.volumes.filter((v) => !known.has(v)))
      issues.push({
        kind: 'container',
        path: use.file,
        subject: volume,
        message: `container ${use.container} mounts volume ${volume}, which is missing`,
      });
  }
  return issues;
}

/**
 * Makes volume `name` whole again without touching its data: a record that is missing, corrupt or
 * misnamed is replaced (the old one quarantined, its labels kept when they could be read), and a
 * missing `_data` folder is made empty (an import interrupted between its two renames leaves that).
 * @returns a sentence saying what was done.
 */
export async function repairVolume(
  ctx: StoreContext,
  name: string,
  quarantine: (file: string) => Promise<string>,
): Promise<string> {
  const dir = path.join(ctx.paths.volumesDir, name);
  const done: string[] = [];
  const file = path.join(dir, VOLUME_RECORD);
  const record = await readJsonFile(file, VolumeRecordSchema);
  if (record.state !== 'ok' || record.value.name !== name) {
    if (record.state !== 'missing') done.push(`kept its old record as ${await quarantine(file)}`);
    const labels = record.state === 'ok' ? record.value.labels : {};
    const created = new Date(ctx.now()).toISOString();
    await writeJsonFile(file, { name, labels, created }, 0o644);
    done.push(record.state === 'ok' ? 'rewrote its record' : 'wrote a new record without labels');
  }
  const data = path.join(dir, VOLUME_DATA);
  const info = await lstat(data).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    if (info !== undefined) done.push(`moved the non-folder ${VOLUME_DATA} to ${await quarantine(data)}`);
    await mkdir(data, { mode: 0o755 });
    await chmod(data, 0o755);
    await syncDir(dir);
    done.push(`made an empty ${VOLUME_DATA} folder`);
  }
  return `repaired volume ${name}: ${done.join(', ')}`;
}
