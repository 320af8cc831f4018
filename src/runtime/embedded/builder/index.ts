/** The embedded runtime's image builder (docs/embedded-runtime.md#building). */
export { buildWithEmbedded } from './build-image.js';
export type { BuilderDeps } from './build-image.js';
