/**
 * A volume's contents as a tar, in the shape Docker's side writes (runtime/docker/docker-volumes.ts):
 * entry names relative to the volume root with no entry for the root itself, owners, modes
 * (setuid, setgid, sticky), times in whole seconds, symlinks verbatim, hardlinks as links to the
 * first name of their inode, and xattrs such as file capabilities as raw PAX bytes, so a bundle's
 * volume moves between the runtimes either way. The layer differ with no layers below writes exactly
 * that.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { diffLayer } from '../layers/diff-layer.js';
import type { VolumeStoreDeps } from './volume-deps.js';
import { withVolumeLock } from './volume-deps.js';
import { volumeDataDir } from './volume-records.js';

/**
 * Streams volume `name` to `output` as a tar and ends `output`. Holds the volume's lock meanwhile,
 * so the volume is not removed or replaced under the export.
 */
export async function exportVolume(deps: VolumeStoreDeps, name: string, output: Writable): Promise<void> {
  await withVolumeLock(deps, name, `exporting volume ${name}`, async () => {
    const data = await volumeDataDir(deps, name);
    await pipeline(diffLayer({ upper: data, scratchDir: deps.store.paths.tmpDir }), output);
  });
}
