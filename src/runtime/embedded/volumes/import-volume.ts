/**
 * Filling an empty volume from a tar (a bundle's volume, from either runtime). The tar is extracted
 * into a scratch folder in the store's `tmp/` (same filesystem, owner-recorded, so recovery removes
 * it after a crash) and swapped in for the empty data folder only when complete: a failed or
 * interrupted import leaves the volume empty, never half filled.
 */
import { mkdtemp, mkdir, readdir, rename, rmdir, chmod } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { DevenvError } from '../../../errors.js';
import { syncDir } from '../../../util/atomic.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { removeTree } from '../../../util/remove-tree.js';
import { exists } from '../store/fs-util.js';
import { writeJsonFile } from '../store/json-file.js';
import { currentOwner } from '../store/owner.js';
import { IMPORT_PREFIX, VOLUME_DATA } from '../store/volume-layout.js';
import { extractVolume } from './extract-volume.js';
import type { VolumeStoreDeps } from './volume-deps.js';
import { checkedVolumeDir, withVolumeLock } from './volume-deps.js';
import { volumeDataDir } from './volume-records.js';

/** Failpoint with the volume extracted in scratch, just before it replaces the empty data folder. */
export const FAILPOINT_BEFORE_SWAP = 'volumes.import.before-swap';
declareFailpoints(FAILPOINT_BEFORE_SWAP);

/**
 * Fills volume `name`, which must exist and be empty (create it first), with the tar read from
 * `input`. A hostile tar is refused (`DEVENV_ARCHIVE_INVALID`, `DEVENV_LIMIT`) or contained inside
 * the volume exactly as an image layer is. Meant for a volume no running container has bound: the
 * data folder is replaced, and a bind made before the swap keeps seeing the old, empty one.
 */
export async function importVolume(deps: VolumeStoreDeps, name: string, input: Readable): Promise<void> {
  const dir = checkedVolumeDir(deps, name);
  await withVolumeLock(deps, name, `importing into volume ${name}`, async () => {
    const data = await volumeDataDir(deps, name);
    if ((await readdir(data)).length > 0)
      throw new DevenvError('DEVENV_FILE_EXISTS', `volume ${name} is not empty: ${data}`, {
        hint: 'An import fills a new volume; remove this one first or import under another name.',
      });
    const { ctx } = deps.store;
    const scratch = await mkdtemp(path.join(ctx.paths.tmpDir, IMPORT_PREFIX));
    try {
      await writeJsonFile(
        path.join(scratch, 'owner.json'),
        await currentOwner(ctx.now(), `importing volume ${name}`),
      );
      const tree = path.join(scratch, VOLUME_DATA);
      await mkdir(tree);
      await chmod(tree, 0o755);
      await extractVolume(input, {
        root: tree,
        limits: deps.limits,
        onNotice: deps.onNotice ?? (() => undefined),
      }).catch((error: unknown) => {
        throw importError(name, error);
      });
      // One syncfs instead of an fsync per file: once swapped in, the contents must be on disk.
      await execa('sync', ['-f', tree]);
      await failpoint(FAILPOINT_BEFORE_SWAP);
      await swapIn(dir, data, tree);
    } finally {
      await removeTree(scratch);
    }
  });
}

/** Replaces the empty `data` with `tree`; if that fails half way, `data` is made again, empty. */
async function swapIn(dir: string, data: string, tree: string): Promise<void> {
  try {
    await rmdir(data);
    await rename(tree, data);
  } catch (error) {
    if (!(await exists(data))) {
      await mkdir(data);
      await chmod(data, 0o755);
    }
    throw error;
  }
  await syncDir(dir);
}

/** An extraction failure as an error naming the volume, keeping its code. */
function importError(name: string, error: unknown): unknown {
  if (!(error instanceof DevenvError)) return error;
  return new DevenvError(error.code, `cannot import into volume ${name}: ${error.message}`, {
    hint: error.hint ?? 'The archive is damaged or hostile; the volume was left empty.',
    cause: error,
  });
}
