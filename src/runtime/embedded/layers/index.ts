/**
 * The embedded runtime's layer applier (docs/embedded-runtime.md): decompression by magic,
 * safe and faithful extraction of image layers, and the inverse, an upper dir back to a layer tar.
 */
export { applyLayer, FAILPOINT_BEFORE_RENAME, removeLayerTemps } from './apply-layer.js';
export type { ApplyLayerOptions, AppliedLayer, LayerMode } from './apply-layer.js';
export { detectCompression, createDecompressor, openLayerStream } from '../../../image/layer/decompress.js';
export type { Compression } from '../../../image/layer/decompress.js';
export { DigestStream, computeDiffId } from '../../../image/layer/digest-stream.js';
export { FAILPOINT_MID_EXTRACT } from './extract.js';
export type { NoticeHandler } from './extract-context.js';
export { DEFAULT_LAYER_LIMITS, layerLimits } from '../../../image/layer/layer-limits.js';
export type { LayerLimits } from '../../../image/layer/layer-limits.js';
export { openOverlays, overlayOptions, overlaySupported } from './overlay-mount.js';
export type { OverlaySpec, OverlayView } from './overlay-mount.js';
export { resolveInRoot } from './resolve-in-root.js';
export { diffLayer } from './diff-layer.js';
export type { DiffLayerOptions } from './diff-layer.js';
