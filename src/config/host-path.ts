/** Host paths as written in devenv.yml: `~/x`, absolute, or relative to the folder of devenv.yml. */
import path from '../util/node-path.js';

/** Resolves a host path from devenv.yml to an absolute path. Pure string work; touches no file. */
export function resolveHostPath(value: string, projectDir: string, homeDir: string): string {
  if (value === '~') return homeDir;
  if (value.startsWith('~/')) return path.join(homeDir, value.slice(2));
  return path.resolve(projectDir, value);
}
