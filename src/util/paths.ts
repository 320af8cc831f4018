/** Per-user folders devenv uses, following the XDG base directory rules. */
import path from './node-path.js';

type Env = Readonly<Record<string, string | undefined>>;

function xdg(env: Env, variable: string, homeDir: string, fallback: string): string {
  const value = env[variable];
  return value !== undefined && value.startsWith('/') ? value : path.join(homeDir, fallback);
}

/** `$XDG_STATE_HOME/devenv`: per-environment state such as xauth cookies and secret env files. */
export function stateHome(env: Env, homeDir: string): string {
  return path.join(xdg(env, 'XDG_STATE_HOME', homeDir, '.local/state'), 'devenv');
}

/** The state folder of one environment. */
export function envStateDir(env: Env, homeDir: string, name: string): string {
  return path.join(stateHome(env, homeDir), 'envs', name);
}
