/**
 * The migration bundle (docs/architecture.md#bundle-format): a valid `docker save` archive plus a `devenv/` folder
 * with bundle.json, devenv.yml and one tar per named volume.
 */
import { z } from 'zod';
import { DevenvError } from '../errors.js';

export const BUNDLE_DIR = 'devenv';
export const BUNDLE_JSON = `${BUNDLE_DIR}/bundle.json`;
export const BUNDLE_CONFIG = `${BUNDLE_DIR}/devenv.yml`;
export const BUNDLE_FORMAT = 'devenv-bundle';
export const BUNDLE_VERSION = 1;

const sha256 = z.string().regex(/^sha256:[a-f0-9]{64}$/, { error: 'not a sha256 digest' });
const inside = z
  .string()
  .regex(/^devenv\/volumes\/[a-zA-Z0-9][a-zA-Z0-9_.-]*\.tar$/, {
    error: 'volume files live in devenv/volumes/',
  })
  .refine((p) => !p.includes('..'), { error: 'volume file names may not contain ".."' });

/** bundle.json. */
export const BundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  name: z.string().min(1).max(128),
  created: z.string(),
  source: z.strictObject({ runtime: z.string(), devenv: z.string() }),
  image: z.strictObject({ ref: z.string(), id: sha256 }),
  state: z.strictObject({ committed: z.boolean() }),
  config: z.strictObject({ file: z.literal(BUNDLE_CONFIG), digest: sha256 }),
  volumes: z.array(
    z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/),
      target: z.string(),
      file: inside,
      digest: sha256,
      size: z.number().int().nonnegative(),
    }),
  ),
});

export type BundleManifest = z.output<typeof BundleManifestSchema>;

/** The one error for a bundle that is damaged, edited or not a bundle at all. */
export function bundleInvalid(file: string, what: string): DevenvError {
  return new DevenvError('DEVENV_BUNDLE_INVALID', `${file}: ${what}`, {
    hint: 'the file is damaged or not a devenv bundle; save it again on the source machine',
  });
}
