/**
 * Turns fetch's `TypeError: fetch failed` (and body read failures) into a sentence about the registry:
 * untrusted certificate, refused connection, timeout. Only the host is named; never a full URL with
 * its query, never a header.
 */
import type { DevenvError } from '../../../errors.js';
import { limitError, registryError } from './errors.js';

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const failures = new WeakSet<object>();

/** The `code` of an error or of the first cause in its chain that has one. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * True for errors of the connection itself (refused, reset, TLS, timeout), as opposed to an HTTP
 * answer: the kind after which another endpoint (plain HTTP, the next mirror) may be tried.
 */
export function isNetworkFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && failures.has(error);
}

/** Wraps a failed request or body read to `host` in a DevenvError (keeping the cause). */
export function networkError(host: string, error: unknown, idleTimeoutMs: number): DevenvError {
  const code = errorCode(error) ?? 'unknown error';
  let wrapped: DevenvError;
  if (TLS_CODES.has(code) || /certificate/i.test(String((error as Error | undefined)?.cause))) {
    wrapped = registryError(
      `the TLS certificate of ${host} is not trusted (${code}): add it to insecureRegistries in ~/.config/devenv/config.yml if you trust it`,
      `add ${host} to insecureRegistries in ~/.config/devenv/config.yml if you trust it`,
      error,
    );
  } else if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    wrapped = limitError(
      `${host} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s; gave up`,
      'the registry or the network is stalled; retry later',
    );
    wrapped.cause = error;
  } else if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    wrapped = registryError(
      `connecting to ${host} timed out`,
      'check the address and your proxy settings',
      error,
    );
  } else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_ABORTED') {
    wrapped = registryError(
      `the connection to ${host} was dropped (${code})`,
      'retry; check the network',
      error,
    );
  } else {
    wrapped = registryError(
      `cannot reach registry ${host}: ${code}`,
      'check that the registry is up, the address and your proxy settings',
      error,
    );
  }
  failures.add(wrapped);
  return wrapped;
}
