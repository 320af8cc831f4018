/**
 * Digest strings and hashing. A digest from outside (a manifest, an archive, a registry) is checked
 * against `^sha256:[a-f0-9]{64}$` before it becomes part of any path (docs/reliability.md, rule 2,
 * CVE-2024-3727).
 */
import { DevenvError } from '../../../errors.js';
import { isSha256Digest } from '../../../image/reference.js';

/**
 * Returns the 64 hex digits of a canonical sha256 digest, or throws DEVENV_DIGEST_MISMATCH naming
 * `what` (such as "layer 2 of manifest.json") when the string has any other form.
 */
export function digestHex(digest: string, what: string): string {
  if (!isSha256Digest(digest)) {
    throw new DevenvError(
      'DEVENV_DIGEST_MISMATCH',
      `${what}: ${JSON.stringify(digest.slice(0, 100))} is not a sha256 digest (expected sha256:<64 lowercase hex digits>)`,
    );
  }
  return digest.slice('sha256:'.length);
}

export { hashFile, sha256Of } from '../../../util/hash-file.js';

/** The error every digest comparison raises, with the expected and actual values. */
export function digestMismatch(what: string, expected: string, actual: string): DevenvError {
  return new DevenvError(
    'DEVENV_DIGEST_MISMATCH',
    `${what}: digest mismatch, expected ${expected}, got ${actual}`,
    {
      hint: 'The data is corrupt or was tampered with; fetch or copy it again.',
    },
  );
}
