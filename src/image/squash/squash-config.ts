/**
 * The config of a squashed image, as Docker's own `--squash` writes it (moby image_squash.go,
 * docs/image-formats.md#squash): the base's diff IDs plus the one squashed layer; the history kept whole, every
 * entry after the base's marked `empty_layer`, then one entry for the merge. Everything else
 * (environment, command, labels, user, created) is the built image's, unchanged.
 */
import { DevenvError } from '../../errors.js';

/** What the squashed config keeps of the base image. */
export interface SquashBase {
  /** `sha256:` ID of the base image; undefined for `scratch`. */
  id: string | undefined;
  /** The base's `rootfs.diff_ids`, which must start the built image's. */
  diffIds: readonly string[];
  /** How many history entries the base has; the built image's history continues after them. */
  historyLength: number;
}

/** The built image and the squashed layer that replaces its own layers. */
export interface SquashConfigInput {
  /** The built image's config, as stored. */
  config: Buffer;
  /** Its ID (`sha256:` of `config`), for the history comment. */
  imageId: string;
  base: SquashBase;
  /** Diff ID of the squashed layer. */
  diffId: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Returns the squashed image's config bytes. Throws `DEVENV_RUNTIME_FAILED` when the built image
 * does not sit on the base (its diff IDs do not start with the base's): squashing then would drop
 * or duplicate layers, so it is refused rather than guessed.
 */
export function squashImageConfig(input: SquashConfigInput): Buffer {
  const config: unknown = JSON.parse(input.config.toString('utf8'));
  const rootfs = isObject(config) ? config['rootfs'] : undefined;
  const diffIds = isObject(rootfs) ? rootfs['diff_ids'] : undefined;
  if (!isObject(config) || !isObject(rootfs) || !Array.isArray(diffIds))
    throw new DevenvError('DEVENV_RUNTIME_FAILED', `image ${input.imageId} has no rootfs.diff_ids`);
  const base = input.base.diffIds;
  if (diffIds.length < base.length || base.some((id, i) => diffIds[i] !== id))
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `cannot squash image ${input.imageId}: its layers do not start with those of its base image ${input.base.id ?? 'scratch'}`,
      { hint: 'The base image changed during the build; build again.' },
    );
  rootfs['diff_ids'] = [...base, input.diffId];
  const history = Array.isArray(config['history']) ? (config['history'] as unknown[]) : [];
  const created = typeof config['created'] === 'string' ? config['created'] : undefined;
  config['history'] = [
    ...history.map((entry, i) =>
      i < input.base.historyLength || !isObject(entry) ? entry : { ...entry, empty_layer: true },
    ),
    {
      // The build's own time, not the clock's: the same build squashes to the same image ID.
      ...(created === undefined ? {} : { created }),
      comment:
        input.base.id === undefined
          ? `create new from ${input.imageId}`
          : `merge ${input.imageId} to ${input.base.id}`,
    },
  ];
  return Buffer.from(JSON.stringify(config));
}
