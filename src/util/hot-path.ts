/**
 * Whether this run left its command's hot path, for the launcher's code cache (src/launch.ts).
 *
 * The launcher keeps, per command, the code that a run of that command compiled, and every later
 * run of it deserializes all of it. A run that loaded devenv.yml in full, or an `up` that built,
 * created or started something, compiles far more than the runs typed all day (a warm `exec`, a
 * no-op `up -d`): the `up` cache such a run wrote was twice the size of a no-op's, and every no-op
 * then paid ~12 ms to deserialize code it never ran. Such a run marks itself here, and the launcher
 * does not write the command's cache from it; the next run on the hot path does.
 */

/** Where the launcher looks; a symbol in the global registry, since the launcher is a separate file. */
const OFF_HOT_PATH = Symbol.for('devenv.off-hot-path');

/** Marks this run as off its command's hot path (see the file comment). */
export function leaveHotPath(): void {
  (globalThis as Record<symbol, unknown>)[OFF_HOT_PATH] = true;
}

/** Whether {@link leaveHotPath} was called in this process. */
export function leftHotPath(): boolean {
  return (globalThis as Record<symbol, unknown>)[OFF_HOT_PATH] === true;
}
