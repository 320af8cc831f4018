/**
 * HTTP for the registry client: undici fetch with `redirect: 'manual'`, so every hop is checked
 * (scheme policy, redirect limit) and Authorization goes only to the origin it belongs to, never to a
 * CDN or another host. One dispatcher per (TLS verification, proxy) with connect and idle timeouts.
 */
import type { LookupFunction } from 'node:net';
import { Agent, ProxyAgent, fetch as undiciFetch } from 'undici';
import type { Dispatcher, RequestInit, Response } from 'undici';
import { isDevenvError } from '../../../errors.js';
import { throwIfInterrupted } from '../../../util/interrupt.js';
import { checkScheme, isInsecureHost, urlHostPort } from './endpoint.js';
import type { RegistrySettings } from './endpoint.js';
import { registryError } from './errors.js';
import { networkError } from './network-error.js';
import { proxyFor } from './proxy.js';

/** The fetch signature we use; tests may pass a recording wrapper. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Transport knobs; everything has a default except the settings and env. */
export interface TransportOptions {
  settings: RegistrySettings;
  env: Readonly<Record<string, string | undefined>>;
  connectTimeoutMs?: number | undefined;
  /** Longest wait for response headers or for the next body chunk. */
  idleTimeoutMs?: number | undefined;
  maxRedirects?: number | undefined;
  fetch?: FetchLike | undefined;
  /** DNS override (tests map made-up names to 127.0.0.1). */
  lookup?: LookupFunction | undefined;
  /** Waits between retries of a busy registry (tests pass a fast one). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** The command run's interrupt: it aborts the request in flight and the body being read. */
  signal?: AbortSignal | undefined;
}

/** A request body: bytes, or a factory for a fresh stream (called again for each redirect hop). */
export type RequestBody = Uint8Array | (() => Uint8Array | AsyncIterable<Uint8Array>);

/** A request; `authorization` is attached only on hops whose origin equals its `origin`. */
export interface HttpRequest {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: RequestBody | undefined;
  authorization?: { origin: string; value: string } | undefined;
}

/** The final response and the URL it came from (after redirects). */
export interface HttpResponse {
  response: Response;
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BUSY = new Set([429, 502, 503, 504]);
const MAX_RETRIES = 2;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends registry requests; {@link close} it when done so idle sockets do not keep Node alive. */
export class Transport {
  readonly idleTimeoutMs: number;
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: TransportOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? undiciFetch;
  }

  /**
   * Sends `request` to `url`, following up to `maxRedirects` redirects itself. GET and HEAD are
   * retried twice when the registry is busy (429, 502-504), honouring Retry-After up to 5 s.
   */
  async request(url: URL, request: HttpRequest = {}): Promise<HttpResponse> {
    const idempotent = (request.method ?? 'GET') === 'GET' || request.method === 'HEAD';
    for (let attempt = 0; ; attempt++) {
      const result = await this.follow(url, request);
      if (!idempotent || attempt >= MAX_RETRIES || !BUSY.has(result.response.status)) return result;
      await discardBody(result.response);
      const after = Number(result.response.headers.get('retry-after'));
      const wait = Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, 5_000) : 250 * 4 ** attempt;
      await (this.options.sleep ?? delay)(wait);
    }
  }

  private async follow(url: URL, request: HttpRequest): Promise<HttpResponse> {
    let current = url;
    let method = request.method ?? 'GET';
    let body = request.body;
    for (let hop = 0; ; hop++) {
      checkScheme(current, this.options.settings);
      // identity: fetch would otherwise gunzip a Content-Encoding'd blob and break its digest.
      const headers: Record<string, string> = {
        'accept-encoding': 'identity',
        'user-agent': 'devenv',
        ...request.headers,
      };
      if (request.authorization !== undefined && current.origin === request.authorization.origin)
        headers['authorization'] = request.authorization.value;
      const response = await this.send(current, {
        method,
        headers,
        body: typeof body === 'function' ? body() : body,
      });
      if (!REDIRECTS.has(response.status)) return { response, url: current };
      const location = response.headers.get('location');
      await discardBody(response);
      if (location === null)
        throw registryError(`${current.host} answered ${response.status} without a Location header`);
      if (hop >= (this.options.maxRedirects ?? 10))
        throw registryError(`too many redirects from ${url.host} (last to ${current.host})`);
      const next = new URL(location, current);
      if (
        response.status === 303 ||
        (response.status !== 307 && response.status !== 308 && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
      }
      current = next;
    }
  }

  private async send(
    url: URL,
    init: {
      method: string;
      headers: Record<string, string>;
      body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
    },
  ): Promise<Response> {
    const streamed = init.body !== undefined && !(init.body instanceof Uint8Array);
    try {
      return await this.fetchImpl(url.href, {
        method: init.method,
        headers: init.headers,
        body: init.body as RequestInit['body'],
        redirect: 'manual',
        dispatcher: this.dispatcherFor(url),
        ...(streamed ? { duplex: 'half' as const } : {}),
        ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
      });
    } catch (error) {
      throwIfInterrupted(this.options.signal);
      // An upload body that failed its own check (size, digest) surfaces as fetch's cause: keep it.
      for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
        if (isDevenvError(e)) throw e;
      throw networkError(url.host, error, this.idleTimeoutMs);
    }
  }

  private dispatcherFor(url: URL): Dispatcher {
    const insecure = isInsecureHost(urlHostPort(url), this.options.settings);
    const proxy = proxyFor(url, this.options.settings, this.options.env);
    const key = `${insecure ? 'insecure' : 'verify'} ${proxy ?? 'direct'}`;
    let dispatcher = this.dispatchers.get(key);
    if (dispatcher === undefined) {
      const timeouts = { headersTimeout: this.idleTimeoutMs, bodyTimeout: this.idleTimeoutMs };
      // An insecure host's certificate is not checked, so its TLS attempt needs no CA list: an empty
      // one spares Node parsing its ~140 root certificates (~20 ms) for a handshake that often only
      // finds a plain-HTTP registry on the other end.
      const tls = {
        rejectUnauthorized: !insecure,
        ...(insecure ? { ca: [] } : {}),
        timeout: this.options.connectTimeoutMs ?? 30_000,
      };
      const connect = this.options.lookup === undefined ? tls : { ...tls, lookup: this.options.lookup };
      dispatcher =
        proxy === undefined
          ? new Agent({ ...timeouts, connect })
          : new ProxyAgent({ uri: proxy, ...timeouts, requestTls: connect, connect });
      this.dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  /** Closes every connection this transport opened. */
  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.destroy()));
  }
}

/** Drops a response body we do not read, closing its connection rather than draining it. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
