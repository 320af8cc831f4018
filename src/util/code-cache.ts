/**
 * The launcher (src/launch.ts) writes a run's code cache when the process exits. A process that
 * runs for days, such as a container's monitor, asks for it once its start is done instead: the
 * next start then finds it even when this process is killed.
 */

/** Where the launcher puts its writer (src/launch.ts). */
const WRITE_NOW = Symbol.for('devenv.write-code-cache-now');

/** Writes the code caches the launcher would write at exit, now; nothing outside the launcher. */
export function writeCodeCacheNow(): void {
  const write = (globalThis as Record<symbol, unknown>)[WRITE_NOW];
  if (typeof write === 'function') (write as () => void)();
}
