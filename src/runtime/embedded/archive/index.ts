/** Image archives: docker save (legacy and >= 25 combined) and OCI layouts, in and out (docs/image-formats.md#archives). */
export { decompressByMagic, detectFileCompression } from './decompress.js';
export type { Compression, Decompressor } from './decompress.js';
export { exportImages, exportImagesToFile, writeExport } from './export.js';
export type { ExportOptions } from './export.js';
export { planExport } from './export-plan.js';
export type { ExportEntry, ExportPlan } from './export-plan.js';
export { importArchive, importLayoutDirectory } from './import.js';
export type { ImportOptions, ImportResult } from './import.js';
export { ociArchitecture } from '../oci/platform.js';
