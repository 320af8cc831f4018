/**
 * The Bearer token flow (distribution auth/token.md): ask the realm a 401 named for a token covering
 * `service` and `scope`, with Basic credentials (or an OAuth2 refresh token) when we have some, and
 * cache it per realm, service and scope until ten seconds before it expires.
 */
import { checkScheme } from './endpoint.js';
import type { RegistrySettings } from './endpoint.js';
import type { Credentials } from './credentials.js';
import { loginHint, registryError } from './errors.js';
import { SMALL_LIMIT, describeErrorBody, readCapped } from './read-body.js';
import { TokenResponseSchema } from './schema.js';
import type { Transport } from './transport.js';

/** What a token request needs besides the transport. */
export interface TokenRequest {
  realm: string;
  service: string | undefined;
  scopes: readonly string[];
  /** The registry the credentials and the token are for (for messages and the cache key). */
  host: string;
  credentials: Credentials | undefined;
}

/** Basic credentials as a header value. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Asks the realm for a token; resolves to the token and its lifetime in seconds. */
export async function requestToken(
  transport: Transport,
  settings: RegistrySettings,
  request: TokenRequest,
): Promise<{ token: string; expiresIn: number }> {
  let realm: URL;
  try {
    realm = new URL(request.realm);
  } catch {
    throw registryError(`${request.host} named an invalid token realm`);
  }
  checkScheme(realm, settings);
  const creds = request.credentials;
  const params = new URLSearchParams();
  if (request.service !== undefined) params.append('service', request.service);
  for (const scope of request.scopes) params.append('scope', scope);
  let result;
  if (creds?.kind === 'identity') {
    params.append('grant_type', 'refresh_token');
    params.append('refresh_token', creds.identityToken);
    params.append('client_id', 'devenv');
    result = await transport.request(realm, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(params.toString()),
    });
  } else {
    const url = new URL(realm);
    for (const [key, value] of params) url.searchParams.append(key, value);
    const authorization =
      creds === undefined
        ? undefined
        : { origin: url.origin, value: basicAuthorization(creds.username, creds.password) };
    result = await transport.request(url, { headers: { accept: 'application/json' }, authorization });
  }
  const { response } = result;
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    throw registryError(
      creds === undefined
        ? `unauthorized: ${request.host} requires login; run devenv login ${request.host}`
        : `unauthorized: the token server for ${request.host} rejected the stored credentials; run devenv login ${request.host}`,
      loginHint(request.host),
    );
  }
  if (response.status !== 200)
    throw registryError(
      `the token server ${realm.host} for ${request.host} answered ${await describeErrorBody(response, realm.host)}`,
    );
  const raw = await readCapped(response, SMALL_LIMIT, 'token response', realm.host, transport.idleTimeoutMs);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    body = undefined;
  }
  const parsed = TokenResponseSchema.safeParse(body);
  const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
  if (token === undefined || token === '' || !parsed.success)
    throw registryError(`the token server ${realm.host} for ${request.host} sent no token`);
  const expiresIn = Math.max(parsed.data.expires_in ?? 60, 60);
  return { token, expiresIn };
}

/** Tokens by key, with concurrent requests for the same key sharing one round trip. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number) {}

  /** The cached token for `key`, or a new one from `fetch` (always new when `refresh`). */
  async get(
    key: string,
    refresh: boolean,
    fetch: () => Promise<{ token: string; expiresIn: number }>,
  ): Promise<string> {
    const cached = this.tokens.get(key);
    if (!refresh && cached !== undefined && cached.expiresAt > this.now()) return cached.token;
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const started = this.now();
    const promise = fetch()
      .then(({ token, expiresIn }) => {
        this.tokens.set(key, { token, expiresAt: started + expiresIn * 1000 - 10_000 });
        return token;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }
}
