/**
 * The migration bundle (docs/architecture.md#bundle-format): a valid `docker save` archive plus a `devenv/` folder
 * with bundle.json, devenv.yml and one tar per named volume.
 */
import { z } from 'zod';
import { BUNDLE_CONFIG, BUNDLE_FORMAT, BUNDLE_VERSION } from './names.js';

export {
  BUNDLE_CONFIG,
  BUNDLE_DIR,
  BUNDLE_FORMAT,
  BUNDLE_JSON,
  BUNDLE_VERSION,
  bundleInvalid,
} from './names.js';

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
