/** Watching a project for changes that matter to its environment; no UI here. */
export { DEFAULT_QUIET_MS, LARGE_BATCH, watchProject } from './watch-project.js';
export type { ProjectWatch, WatchProjectOptions } from './watch-project.js';
export { changedFilesLabel } from './verdict.js';
export type { WatchVerdict } from './verdict.js';
export { isEditorTempFile } from './watched-paths.js';
export { VerdictQueue } from './verdict-queue.js';
