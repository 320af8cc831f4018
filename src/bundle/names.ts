/**
 * The names in a migration bundle and its one error, apart from the schema of bundle.json
 * (format.ts), so that telling a bundle from a plain image archive loads no schema library.
 */
import { DevenvError } from '../errors.js';

export const BUNDLE_DIR = 'devenv';
export const BUNDLE_JSON = `${BUNDLE_DIR}/bundle.json`;
export const BUNDLE_CONFIG = `${BUNDLE_DIR}/devenv.yml`;
export const BUNDLE_FORMAT = 'devenv-bundle';
export const BUNDLE_VERSION = 1;

/** The one error for a bundle that is damaged, edited or not a bundle at all. */
export function bundleInvalid(file: string, what: string): DevenvError {
  return new DevenvError('DEVENV_BUNDLE_INVALID', `${file}: ${what}`, {
    hint: 'the file is damaged or not a devenv bundle; save it again on the source machine',
  });
}
