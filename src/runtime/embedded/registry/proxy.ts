/**
 * The proxy for one registry URL: from the settings' `proxy`, or with `inherit` from the caller's
 * `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`. Loopback never goes through a proxy.
 */
import type { RegistrySettings } from './endpoint.js';
import { hostName, isLoopbackHost } from './endpoint.js';

type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, name: string): string | undefined {
  const value = env[name] ?? env[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
}

/** True when `NO_PROXY` (comma list of names, `.suffix`, `host:port` or `*`) covers `url`. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const host = hostName(url.host);
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const [name = '', entryPort] = entry.startsWith('[') ? [hostName(entry)] : entry.split(':');
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/** The proxy URL to use for `url`, or undefined for a direct connection. */
export function proxyFor(url: URL, settings: RegistrySettings, env: Env): string | undefined {
  if (isLoopbackHost(url.host)) return undefined;
  const setting = settings.proxy;
  if (setting === 'none') return undefined;
  let proxy: string | undefined;
  let noProxy: string | undefined;
  if (setting === 'inherit') {
    proxy = url.protocol === 'https:' ? pick(env, 'HTTPS_PROXY') : pick(env, 'HTTP_PROXY');
    proxy ??= pick(env, 'ALL_PROXY');
    noProxy = pick(env, 'NO_PROXY');
  } else {
    proxy = (url.protocol === 'https:' ? setting.https : setting.http) ?? setting.all;
    noProxy = Array.isArray(setting.noProxy) ? setting.noProxy.join(',') : setting.noProxy;
  }
  if (proxy === undefined || proxy === '' || bypassesProxy(url, noProxy)) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}
