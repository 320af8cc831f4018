/** How devenv shows a path to the user. */
import path from './node-path.js';

/** A path as diagnostics show it: relative to the working directory unless it lies above it. */
export function shownPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}
