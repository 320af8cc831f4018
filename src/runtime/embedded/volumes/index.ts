/**
 * Named volumes of the embedded runtime, kept in the store (docs/embedded-runtime.md#named-volumes):
 * what `EmbeddedRuntime` calls for Docker's `volume ls|create|rm` and for moving a volume's contents
 * in and out of a bundle.
 */
export { exportVolume } from './export-volume.js';
export { FAILPOINT_BEFORE_SWAP, importVolume } from './import-volume.js';
export type { VolumeStoreDeps } from './volume-deps.js';
export { createVolume, listVolumes, removeVolume, volumeDataDir } from './volume-records.js';
export { containerVolumes } from '../store/containers.js';
export type { ContainerVolumeUse } from '../store/containers.js';
