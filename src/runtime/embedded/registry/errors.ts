/**
 * The registry client's typed failures. Every one is a {@link DevenvError}: the user can act on it, so the
 * message names the registry, repository or blob involved and the hint says what to try.
 */
import { DevenvError } from '../../../errors.js';

/** A registry refused, failed or answered something we cannot use (`DEVENV_REGISTRY`). */
export function registryError(message: string, hint?: string, cause?: unknown): DevenvError {
  return new DevenvError('DEVENV_REGISTRY', message, { hint, cause });
}

/** Content whose sha256 is not the digest it was asked for (`DEVENV_DIGEST_MISMATCH`). */
export function digestMismatch(what: string, expected: string, got: string): DevenvError {
  return new DevenvError(
    'DEVENV_DIGEST_MISMATCH',
    `digest mismatch for ${what}: expected ${expected} got ${got}`,
    {
      hint: 'the registry or a proxy in between served corrupt or substituted content; retry, and report it if it persists',
    },
  );
}

/** A response over one of our size caps or too slow (`DEVENV_LIMIT`). */
export function limitError(message: string, hint?: string): DevenvError {
  return new DevenvError('DEVENV_LIMIT', message, { hint });
}

/** The hint for anything that needs credentials. */
export function loginHint(host: string): string {
  return `run devenv login ${host}`;
}
