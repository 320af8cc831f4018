/**
 * How a container's monitor is started. From the bundled builds (dist/chunks/), through the
 * launcher beside them, `dist/devenv.cjs __monitor STORE ID`, which compiles the monitor with a
 * code cache (src/launch.ts); from tsc's output (the library entry), `monitor-main.js` beside this
 * module.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The arguments of `node` that run the monitor of container `id` in the store at `root`. */
export function monitorCommand(root: string, id: string): string[] {
  const launcher = fileURLToPath(new URL('../devenv.cjs', import.meta.url));
  if (existsSync(launcher)) return [launcher, '__monitor', root, id];
  return [fileURLToPath(new URL('./monitor-main.js', import.meta.url)), root, id];
}
