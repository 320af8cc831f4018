/** Where the user settings file lives; apart from its schema so finding it loads no validator. */
import path from '../util/node-path.js';

/** The settings file's path: `$XDG_CONFIG_HOME/devenv/config.yml`, else `~/.config/devenv/config.yml`. */
export function settingsPath(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const base =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : path.join(homeDir, '.config');
  return path.join(base, 'devenv', 'config.yml');
}
