/**
 * Layer squash (runtime-spec 3.5), runtime-neutral: several layer tars into one equivalent layer, and
 * the image config that goes with it. The Docker runtime uses it for `build --squash` on engines
 * without experimental mode; the embedded runtime can use it on its own store.
 */
export { squashLayers } from './squash-layers.js';
export type { SquashOptions, SquashResult } from './squash-layers.js';
export type { LayerInput } from './layer-read.js';
