/** Image archives: docker save (legacy and >= 25 combined) and OCI layouts, in and out (runtime-spec 6). */
export { decompressByMagic, detectFileCompression } from '../../../image/layer/decompress-file.js';
export type { Compression, Decompressor } from '../../../image/layer/decompress-file.js';
export { exportImages, exportImagesToFile, writeExport } from './export.js';
export type { ExportOptions } from './export.js';
export { planExport } from './export-plan.js';
export type { ExportEntry, ExportPlan } from './export-plan.js';
export { importArchive, importLayoutDirectory } from './import.js';
export type { ImportOptions, ImportResult } from './import.js';
export { ociArchitecture } from '../../../image/oci/platform.js';
