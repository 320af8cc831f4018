/**
 * The proxy an environment uses, resolved from devenv.yml, the user settings and the caller's
 * environment. The result feeds build arguments and runtime environment only, never the image.
 */
import type { DevenvConfig } from '../config/schema.js';
import type { Settings } from '../config/settings.js';

const VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'ALL_PROXY', 'NO_PROXY'] as const;
const FIELDS = {
  HTTP_PROXY: 'http',
  HTTPS_PROXY: 'https',
  FTP_PROXY: 'ftp',
  ALL_PROXY: 'all',
  NO_PROXY: 'noProxy',
} as const;

type ProxySetting = DevenvConfig['proxy'] | Settings['proxy'];

/** Docker's predefined proxy build arguments: usable without ARG and kept out of the image history. */
export const PROXY_VARIABLES: readonly string[] = VARIABLES.flatMap((v) => [v, v.toLowerCase()]);

/**
 * The proxy variables to set, in both upper and lower case (tools disagree on which they read).
 * `inherit` falls back to the settings file, then to the caller's `*_PROXY` variables.
 */
export function resolveProxy(
  setting: ProxySetting,
  fallback: Settings['proxy'] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (setting === 'none') return out;
  if (setting === 'inherit') {
    if (fallback !== undefined && fallback !== 'inherit') return resolveProxy(fallback, undefined, env);
    for (const name of VARIABLES) {
      const value = env[name] ?? env[name.toLowerCase()];
      if (value !== undefined && value !== '')
        Object.assign(out, { [name]: value, [name.toLowerCase()]: value });
    }
    return out;
  }
  for (const name of VARIABLES) {
    const raw = setting[FIELDS[name]];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value !== undefined && value !== '')
      Object.assign(out, { [name]: value, [name.toLowerCase()]: value });
  }
  return out;
}
