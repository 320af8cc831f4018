/**
 * The image config (image-spec config.md) as far as devenv reads it: the run defaults, labels and
 * `rootfs.diff_ids`. The bytes themselves are always kept as they came, because their sha256 is the
 * image ID; this is only a validated view of them.
 */
import { z } from 'zod';
import { DevenvError } from '../../errors.js';
import { DigestSchema } from './digest-schema.js';

/** The part of an image config devenv reads (the bytes themselves are kept as they came). */
export const ImageConfigSchema = z.looseObject({
  created: z.string().optional(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  config: z
    .looseObject({
      Env: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
    })
    .nullish(),
  rootfs: z.looseObject({
    type: z.literal('layers'),
    diff_ids: z.array(DigestSchema),
  }),
});
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** Parses config bytes; throws DEVENV_STORE naming `what` when they are not an image config. */
export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new DevenvError('DEVENV_STORE', `${what} is not JSON: ${(error as Error).message}`);
  }
  const parsed = ImageConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DevenvError(
      'DEVENV_STORE',
      `${what} is not an image config: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}
