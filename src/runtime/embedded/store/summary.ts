/** An image record and its config as the Runtime interface's {@link ImageSummary}. */
import type { ImageSummary } from '../../runtime.js';
import type { ImageConfig } from '../../../image/oci/image-config.js';
import type { ImageRecord } from './schemas.js';

/**
 * The summary `images` and `inspect` show. `size` is the sum of the uncompressed layer sizes;
 * `tags` are familiar references (`busybox:latest`).
 */
export function toImageSummary(
  record: ImageRecord,
  config: ImageConfig,
  tags: readonly string[],
  size: number,
): ImageSummary {
  const run = config.config ?? {};
  return {
    id: record.id,
    tags: [...tags],
    created: record.created,
    size,
    labels: { ...(run.Labels ?? {}) },
    entrypoint: run.Entrypoint ?? null,
    cmd: run.Cmd ?? null,
    env: [...(run.Env ?? [])],
    repoDigests: [...record.repoDigests],
  };
}
