/** What every volume operation is given, the name check they share, and the per-volume lock. */
import { DevenvError } from '../../../errors.js';
import { withLock } from '../../../util/lock.js';
import type { LayerLimits } from '../../../image/layer/layer-limits.js';
import type { NoticeHandler } from '../layers/extract-context.js';
import type { Store } from '../store/store.js';
import { MAX_VOLUME_NAME, isVolumeName, volumeDir, volumeLockFile } from '../store/volume-layout.js';

/** The opened store, and the knobs of an import. */
export interface VolumeStoreDeps {
  store: Store;
  /** Caps on an imported tar (bytes, entries, depth…); the image-layer defaults otherwise. */
  limits?: Partial<LayerLimits> | undefined;
  /** Receives what an import deliberately did not reproduce (device nodes, unsupported xattrs). */
  onNotice?: NoticeHandler | undefined;
}

/** `volumes/<name>` after checking `name`; a bad name is the user's to fix. */
export function checkedVolumeDir(deps: VolumeStoreDeps, name: string): string {
  if (!isVolumeName(name))
    throw new DevenvError('DEVENV_CONFIG_INVALID', `invalid volume name ${JSON.stringify(name)}`, {
      hint:
        'A volume name is 2 to ' +
        `${MAX_VOLUME_NAME} characters matching [a-zA-Z0-9][a-zA-Z0-9_.-]+, as Docker requires.`,
    });
  return volumeDir(deps.store.paths, name);
}

/** Runs `action` holding the lock of volume `name`, so creations, removals and imports of it take turns. */
export function withVolumeLock<T>(
  deps: VolumeStoreDeps,
  name: string,
  purpose: string,
  action: () => Promise<T>,
): Promise<T> {
  const { paths, lockTimeoutMs } = deps.store.ctx;
  return withLock(volumeLockFile(paths, name), { timeoutMs: lockTimeoutMs, purpose }, action);
}

/** The error for a volume that does not exist. */
export function noSuchVolume(name: string): DevenvError {
  return new DevenvError('DEVENV_NOT_FOUND', `volume ${name} does not exist`, {
    hint: 'Check the name; "devenv up" creates the volumes an environment mounts.',
  });
}
