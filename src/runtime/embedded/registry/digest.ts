/**
 * Digest checks. A digest string from a manifest, header or caller is untrusted until it matched
 * `^sha256:[a-f0-9]{64}$`: only then may it appear in a URL or a file name (CVE-2024-3727).
 */
import { createHash } from '../../../util/crypto.js';
import { isSha256Digest } from '../../../image/reference.js';
import { registryError } from './errors.js';

/**
 * Returns `value` when it is a canonical sha256 digest, else throws `DEVENV_REGISTRY` naming `what`.
 * Call it before building any request path or file name from a digest.
 */
export function checkDigest(value: unknown, what: string): string {
  if (typeof value === 'string' && isSha256Digest(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
  throw registryError(
    `invalid digest ${shown} for ${what}: only sha256:<64 lowercase hex digits> is accepted`,
    'the image or the registry is malformed; devenv refuses to use such a digest in a URL or path',
  );
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Returns the repository path when it is valid (`library/ubuntu`), so it can go into a URL unescaped. */
export function checkRepository(path: string): string {
  if (path.length <= 255 && REPOSITORY.test(path)) return path;
  throw registryError(`invalid repository name ${JSON.stringify(path.slice(0, 80))}`);
}

/** Returns a manifest reference (a tag or a sha256 digest) that is safe to put in a URL. */
export function checkManifestReference(reference: string): string {
  if (reference.includes(':')) return checkDigest(reference, 'manifest reference');
  if (TAG.test(reference)) return reference;
  throw registryError(`invalid tag ${JSON.stringify(reference.slice(0, 80))}`);
}
