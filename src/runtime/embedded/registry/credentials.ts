/**
 * Where credentials come from. The default source reads Docker's config: a credential helper named
 * by `credHelpers[host]` or `credsStore`, else `auths[host]` (`auth` = base64 `user:pass`, or an
 * `identitytoken`). Secrets travel on stdin and stdout only, never in argv or messages.
 */
import { childProcess } from '../../../util/child-process.js';
import { configKey, dockerConfigPath, normalizeConfigKey, readDockerConfig } from './docker-config.js';
import type { DockerConfig } from './docker-config.js';
import { registryError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A user name and password (or access token), or an OAuth2 refresh token from `docker login`. */
export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity'; username?: string | undefined; identityToken: string };

/** Looks up credentials for a registry host (`docker.io`, `localhost:5000`). */
export interface CredentialSource {
  get(host: string): Promise<Credentials | undefined>;
}

/** Runs `docker-credential-<helper> <verb>` with `input` on stdin; resolves to stdout. */
export function runCredentialHelper(helper: string, verb: string, input: string, env: Env): Promise<string> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(helper))
    return Promise.reject(registryError(`invalid credential helper name ${JSON.stringify(helper)}`));
  return new Promise((resolve, reject) => {
    const child = childProcess().execFile(
      `docker-credential-${helper}`,
      [verb],
      { env: { ...env }, timeout: 30_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else if (/credentials not found/i.test(stdout + stderr)) resolve('');
        else {
          // The helper's own words help the user (locked keychain, missing D-Bus); it never prints the secret on failure.
          const code = (error as { code?: unknown }).code;
          const tail = stderr.trim().split('\n').slice(-2).join(' ').slice(0, 200);
          reject(
            registryError(
              `credential helper docker-credential-${helper} ${verb} failed (${typeof code === 'number' ? `exit ${code}` : typeof code === 'string' ? code : 'error'})${tail === '' ? '' : `: ${tail}`}`,
              `check that docker-credential-${helper} is installed and on PATH`,
            ),
          );
        }
      },
    );
    // A helper may exit without reading stdin (a failure, or a get that needs no input); the
    // write then fails with EPIPE, which the exit status above already reports.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

function fromAuths(config: DockerConfig, key: string): Credentials | undefined {
  for (const [name, entry] of Object.entries(config.auths ?? {})) {
    if (normalizeConfigKey(name) !== key) continue;
    if (entry.identitytoken !== undefined && entry.identitytoken !== '')
      return { kind: 'identity', username: entry.username, identityToken: entry.identitytoken };
    if (entry.auth !== undefined && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined)
      return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}

async function fromHelper(helper: string, key: string, env: Env): Promise<Credentials | undefined> {
  const out = await runCredentialHelper(helper, 'get', key, env);
  if (out.trim() === '') return undefined;
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw registryError(`credential helper docker-credential-${helper} printed something that is not JSON`);
  }
  const { Username: username, Secret: secret } = parsed;
  if (typeof username !== 'string' || typeof secret !== 'string' || secret === '') return undefined;
  return username === '<token>'
    ? { kind: 'identity', identityToken: secret }
    : { kind: 'basic', username, password: secret };
}

/** The default source: Docker's config file and its credential helpers, read on each call. */
export function dockerCredentials(homeDir: string, env: Env): CredentialSource {
  return {
    async get(host) {
      const config = await readDockerConfig(dockerConfigPath(homeDir, env));
      const key = configKey(host);
      const helper = config.credHelpers?.[key] ?? config.credHelpers?.[host] ?? config.credsStore;
      if (helper !== undefined && helper !== '') {
        const found = await fromHelper(helper, key, env);
        if (found !== undefined) return found;
      }
      return fromAuths(config, key);
    },
  };
}
