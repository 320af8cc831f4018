/**
 * `devenv login`: check a user name and password against the registry (GET /v2/ through the same
 * token or Basic flow a pull uses), then store them where Docker would: the configured credential
 * helper, else `auths` in config.json (0600, atomic, other keys kept). The password only ever travels
 * in request headers and on a helper's stdin.
 */
import { configKey, dockerConfigPath, readDockerConfig, updateDockerConfigAuth } from './docker-config.js';
import { runCredentialHelper } from './credentials.js';
import type { Credentials } from './credentials.js';
import { registryError } from './errors.js';
import { describeErrorBody } from './read-body.js';
import { RegistrySession } from './session.js';
import type { SessionContext } from './session.js';
import type { Endpoint } from './endpoint.js';
import { isDevenvError } from '../../../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `https://index.docker.io/v1/`, `docker.io` → `docker.io`; `http://host:5000/x` → `host:5000`. */
export function normalizeRegistryHost(registry: string): string {
  const host = registry
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return ['index.docker.io', 'registry-1.docker.io', ''].includes(host) ? 'docker.io' : host;
}

/** Resolves when `credentials` open `/v2/` of `endpoint`; throws a sentence saying why not. */
export async function verifyCredentials(
  endpoint: Endpoint,
  context: Omit<SessionContext, 'credentials'>,
  credentials: Credentials,
): Promise<void> {
  const host = endpoint.credentialHost;
  const session = new RegistrySession(endpoint, {
    ...context,
    credentials: () => Promise.resolve(credentials),
  });
  const failed = () =>
    registryError(
      `login to ${host} failed: the user name or password was rejected`,
      'check them and try again',
    );
  let result;
  try {
    result = await session.request('/v2/', []);
  } catch (error) {
    if (isDevenvError(error) && error.message.startsWith('unauthorized')) throw failed();
    throw error;
  }
  const { response, url } = result;
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    throw failed();
  }
  if (response.status !== 200)
    throw registryError(`login to ${host} failed: ${await describeErrorBody(response, url.host)}`);
  await response.body?.cancel().catch(() => undefined);
}

/** Stores verified credentials for `host` in the helper Docker's config names, else in config.json. */
export async function storeCredentials(
  homeDir: string,
  env: Env,
  host: string,
  username: string,
  password: string,
): Promise<void> {
  const file = dockerConfigPath(homeDir, env);
  const config = await readDockerConfig(file);
  const key = configKey(host);
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[host] ?? config.credsStore;
  if (helper !== undefined && helper !== '') {
    await runCredentialHelper(
      helper,
      'store',
      JSON.stringify({ ServerURL: key, Username: username, Secret: password }),
      env,
    );
    await updateDockerConfigAuth(file, key, {});
    return;
  }
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  await updateDockerConfigAuth(file, key, { auth });
}
