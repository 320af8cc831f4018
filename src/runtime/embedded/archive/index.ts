/** Image archives: docker save (legacy and >= 25 combined) and OCI layouts, in and out (docs/image-formats.md#archives). */
export { exportImages, exportImagesToFile } from './export.js';
export type { ExportOptions } from './export.js';
export { planExport } from './export-plan.js';
export { importArchive, importLayoutDirectory } from './import.js';
export type { ImportOptions, ImportResult } from './import.js';
