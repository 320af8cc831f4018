/**
 * Which endpoint serves a request. Pulls try each configured mirror, then the origin; pushes and
 * logins go to the origin only. For an insecure or loopback origin HTTPS (unverified) is probed
 * first and plain HTTP used only when the TLS connection itself fails, as Docker does. One session
 * per endpoint, so auth challenges and tokens are reused.
 */
import { blobChunks } from './blob.js';
import type { BlobFetchOptions } from './blob.js';
import { mirrorEndpoints, originEndpoints } from './endpoint.js';
import type { Endpoint } from './endpoint.js';
import { registryError } from './errors.js';
import { isNetworkFailure } from './network-error.js';
import type { Descriptor } from '../../../image/oci/manifest-schemas.js';
import { RegistrySession } from './session.js';
import type { SessionContext } from './session.js';

/** Hands out sessions for origins and mirrors; see the module comment. */
export class EndpointRouter {
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly origins = new Map<string, Promise<RegistrySession>>();

  constructor(private readonly context: SessionContext) {}

  /** The session of one endpoint, created on first use. */
  session(endpoint: Endpoint): RegistrySession {
    let session = this.sessions.get(endpoint.base);
    if (session === undefined) {
      session = new RegistrySession(endpoint, this.context);
      this.sessions.set(endpoint.base, session);
    }
    return session;
  }

  /** The origin's session (probing HTTPS, then HTTP, for insecure hosts); a failed probe is retried next time. */
  origin(domain: string): Promise<RegistrySession> {
    let found = this.origins.get(domain);
    if (found === undefined) {
      found = this.probeOrigin(domain);
      found.catch(() => this.origins.delete(domain));
      this.origins.set(domain, found);
    }
    return found;
  }

  private async probeOrigin(domain: string): Promise<RegistrySession> {
    const [https, http] = originEndpoints(domain, this.context.settings);
    if (https === undefined) throw registryError(`no endpoint for ${domain}`);
    if (http === undefined) return this.session(https);
    try {
      const { response } = await this.context.transport.request(new URL(`${https.base}/v2/`));
      await response.body?.cancel().catch(() => undefined);
      return this.session(https);
    } catch (error) {
      if (!isNetworkFailure(error)) throw error;
      return this.session(http);
    }
  }

  /** Runs `attempt` against each mirror of `domain`, then the origin; the origin's error is the one thrown. */
  async withPullFallback<T>(domain: string, attempt: (session: RegistrySession) => Promise<T>): Promise<T> {
    for (const mirror of mirrorEndpoints(domain, this.context.settings)) {
      try {
        return await attempt(this.session(mirror));
      } catch {
        /* a mirror is an optimisation: fall through to the next one, then the origin */
      }
    }
    return attempt(await this.origin(domain));
  }

  /**
   * A blob's verified chunks from the first mirror that starts sending it, else the origin. Once bytes
   * flowed from one endpoint we stay with it (resuming there), so the hash covers one consistent body.
   */
  async *blobStream(
    repo: { domain: string; path: string },
    descriptor: Descriptor,
    options: BlobFetchOptions,
  ): AsyncGenerator<Uint8Array> {
    for (const mirror of mirrorEndpoints(repo.domain, this.context.settings)) {
      const chunks = blobChunks(this.session(mirror), repo.path, descriptor, options);
      let first: IteratorResult<Uint8Array>;
      try {
        first = await chunks.next();
      } catch {
        continue; // nothing received yet: the next mirror or the origin can still serve it whole
      }
      if (first.done !== true) {
        yield first.value;
        yield* chunks;
      }
      return;
    }
    yield* blobChunks(await this.origin(repo.domain), repo.path, descriptor, options);
  }
}
