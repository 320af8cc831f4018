/**
 * Where a registry lives and how we may talk to it. HTTPS with verified certificates by default;
 * plain HTTP or unverified TLS only for loopback hosts and hosts listed in `insecureRegistries`
 * (Docker's rule). Decided from names alone, before any connection or DNS lookup.
 */
import type { Settings } from '../../../config/settings.js';
import { registryError } from './errors.js';

/** The registry part of the settings this client reads. */
export type RegistrySettings = Pick<Settings, 'registryMirrors' | 'insecureRegistries' | 'proxy'>;

/** One base URL we send registry API requests to. */
export interface Endpoint {
  /** Origin plus an optional path prefix, without a trailing slash (`https://mirror.example/prefix`). */
  base: string;
  /** The `host[:port]` whose credentials this endpoint gets. */
  credentialHost: string;
  /** True when certificate checks are off (insecure or loopback). */
  insecure: boolean;
  mirror: boolean;
}

/** The API host of a registry: Docker Hub's `docker.io` is served from `registry-1.docker.io`. */
export function apiHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

/** The host name of `host[:port]` or `[v6]:port`, brackets removed, lowercased. */
export function hostName(hostPort: string): string {
  const bracket = /^\[([^\]]+)\]/.exec(hostPort);
  if (bracket?.[1] !== undefined) return bracket[1].toLowerCase();
  return hostPort.replace(/:\d+$/, '').toLowerCase();
}

/** True for `localhost`, `*.localhost`, `127.0.0.0/8` and `::1`: traffic that never leaves the machine. */
export function isLoopbackHost(hostPort: string): boolean {
  const name = hostName(hostPort);
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** True when `host[:port]` may be reached over plain HTTP or unverified TLS. */
export function isInsecureHost(hostPort: string, settings: RegistrySettings): boolean {
  if (isLoopbackHost(hostPort)) return true;
  const lower = hostPort.toLowerCase();
  return settings.insecureRegistries.some((entry) => {
    const e = entry.toLowerCase();
    return e === lower || e === hostName(lower);
  });
}

/** The `host[:port]` of a URL, as written in settings and `~/.docker/config.json`. */
export function urlHostPort(url: URL): string {
  return url.host.toLowerCase();
}

/**
 * Throws unless `url` may be requested: https always, http only for insecure hosts. Called for every
 * URL, including redirect targets, token realms and mirrors, before fetch sees it.
 */
export function checkScheme(url: URL, settings: RegistrySettings): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isInsecureHost(urlHostPort(url), settings)) return;
  throw registryError(
    `refusing ${url.protocol.replace(':', '')} to ${url.host}: only HTTPS is allowed for a registry that is not loopback or listed as insecure`,
    `add ${url.host} to insecureRegistries in ~/.config/devenv/config.yml if you trust it`,
  );
}

/** The origin endpoints to try for a registry, in order: HTTPS, then plain HTTP when the host is insecure. */
export function originEndpoints(domain: string, settings: RegistrySettings): Endpoint[] {
  const host = apiHost(domain);
  const credentialHost = domain === 'index.docker.io' ? 'docker.io' : domain;
  if (!isInsecureHost(host, settings))
    return [{ base: `https://${host}`, credentialHost, insecure: false, mirror: false }];
  return [
    { base: `https://${host}`, credentialHost, insecure: true, mirror: false },
    { base: `http://${host}`, credentialHost, insecure: true, mirror: false },
  ];
}

/** The mirrors configured for `domain` (a plain list means docker.io), as endpoints. */
export function mirrorEndpoints(domain: string, settings: RegistrySettings): Endpoint[] {
  const mirrors = settings.registryMirrors;
  const key = domain === 'index.docker.io' ? 'docker.io' : domain;
  const urls = Array.isArray(mirrors) ? (key === 'docker.io' ? mirrors : []) : (mirrors[key] ?? []);
  return urls.map((raw) => {
    const url = new URL(raw);
    const hostPort = urlHostPort(url);
    return {
      base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
      credentialHost: hostPort,
      insecure: isInsecureHost(hostPort, settings),
      mirror: true,
    };
  });
}
