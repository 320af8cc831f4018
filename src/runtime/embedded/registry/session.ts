/**
 * Authenticated requests to one registry endpoint. The first request goes out with whatever the last
 * challenge from this origin allows; a 401 from this origin is answered once (token flow or Basic) and
 * the request replayed with a fresh body. A 401 from any other origin (a CDN after a redirect, a
 * foreign layer host) never gets this registry's credentials. The token realm named in this origin's
 * own challenge does get them: that is the token flow (Docker Hub's realm is auth.docker.io).
 */
import type { Credentials } from './credentials.js';
import type { Endpoint, RegistrySettings } from './endpoint.js';
import { registryError } from './errors.js';
import { basicAuthorization, requestToken } from './token.js';
import type { TokenCache } from './token.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';
import { discardBody } from './transport.js';
import { parseWwwAuthenticate } from './www-authenticate.js';
import type { Challenge } from './www-authenticate.js';

/** What every session of one client shares. */
export interface SessionContext {
  transport: Transport;
  settings: RegistrySettings;
  tokens: TokenCache;
  credentials: (host: string) => Promise<Credentials | undefined>;
}

/** A request whose body can be produced again for the replay after a 401. */
export interface SessionRequest extends Omit<HttpRequest, 'body' | 'authorization'> {
  body?: (() => Uint8Array | AsyncIterable<Uint8Array>) | undefined;
}

/** One endpoint (origin or mirror) with the auth state we learnt from it. */
export class RegistrySession {
  private challenge: Challenge | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly context: SessionContext,
  ) {}

  /** The transport's idle timeout, for messages about stalled bodies. */
  get idleTimeoutMs(): number {
    return this.context.transport.idleTimeoutMs;
  }

  /**
   * Sends `request` to `target`, a path starting `/v2/` under this endpoint or an absolute URL (an
   * upload Location), authorizing for `scopes`; credentials go only to this endpoint's origin.
   */
  async request(
    target: string | URL,
    scopes: readonly string[],
    request: SessionRequest = {},
  ): Promise<HttpResponse> {
    const url = typeof target === 'string' ? new URL(this.endpoint.base + target) : target;
    const origin = new URL(this.endpoint.base).origin;
    const send = async (authorization: string | undefined) =>
      this.context.transport.request(url, {
        ...request,
        authorization: authorization === undefined ? undefined : { origin, value: authorization },
      });
    const first = this.refuseForeignChallenge(await send(await this.authorization(scopes, false)), origin);
    if (first.response.status !== 401) return first;
    const challenges = parseWwwAuthenticate(first.response.headers.get('www-authenticate') ?? '');
    const challenge =
      challenges.find((c) => c.scheme === 'bearer' && c.params['realm'] !== undefined) ??
      challenges.find((c) => c.scheme === 'basic');
    if (challenge === undefined) return first;
    this.challenge = challenge;
    const authorization = await this.authorization(scopes, true);
    if (authorization === undefined) return first;
    await discardBody(first.response);
    return this.refuseForeignChallenge(await send(authorization), origin);
  }

  /** Throws when a 401 came from another origin than ours (after a redirect): it never gets our credentials. */
  private refuseForeignChallenge(result: HttpResponse, origin: string): HttpResponse {
    if (result.response.status !== 401 || result.url.origin === origin) return result;
    void discardBody(result.response);
    throw registryError(
      `${result.url.host}, where ${new URL(origin).host} redirected the request, asks for credentials; devenv does not send credentials for ${this.endpoint.credentialHost} to another host`,
      'the registry or its CDN is misconfigured',
    );
  }

  /** The Authorization value the remembered challenge allows for `scopes`, fetching a token if needed. */
  private async authorization(scopes: readonly string[], refresh: boolean): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    const host = this.endpoint.credentialHost;
    const credentials = await this.context.credentials(host);
    if (challenge.scheme === 'basic')
      return credentials?.kind === 'basic'
        ? basicAuthorization(credentials.username, credentials.password)
        : undefined;
    const realm = challenge.params['realm'] ?? '';
    const service = challenge.params['service'];
    const key = JSON.stringify([realm, service, scopes, host]);
    const token = await this.context.tokens.get(key, refresh, () =>
      requestToken(this.context.transport, this.context.settings, {
        realm,
        service,
        scopes,
        host,
        credentials,
      }),
    );
    return `Bearer ${token}`;
  }
}
