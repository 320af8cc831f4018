/**
 * Layer squash (docs/image-formats.md#squash), runtime-neutral: several layer tars into one equivalent layer, the
 * image config that goes with it, and the `docker load` archive of the result. The Docker runtime
 * uses it for `build --squash` on engines without experimental mode; the embedded runtime can use it
 * on its own store.
 */
export { squashLayers } from './squash-layers.js';
export type { SquashOptions, SquashResult } from './squash-layers.js';
export type { LayerInput } from './layer-read.js';
export { squashImageConfig } from './squash-config.js';
export type { SquashBase, SquashConfigInput } from './squash-config.js';
export { planImageArchive } from '../archive/image-archive.js';
export type { ArchiveLayer, ImageArchiveInput } from '../archive/image-archive.js';
