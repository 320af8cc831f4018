/**
 * Caps on what one layer may contain (docs/reliability.md, rule 8, T11-T12). The defaults fit
 * real root filesystems with a wide margin; a layer beyond them is a bomb, not an image.
 */
import { DevenvError } from '../../errors.js';

/** The limits {@link applyLayer} enforces while it reads a layer. */
export interface LayerLimits {
  /** Uncompressed tar bytes, headers included (gzip and zstd bombs stop here). */
  maxBytes: number;
  /** Tar entries, including whiteouts and metadata headers. */
  maxEntries: number;
  /** Components in one entry path. */
  maxDepth: number;
  /** Bytes in one entry path or link target. */
  maxPathBytes: number;
  /** Bytes of one entry's PAX records. The tar parser refuses any metadata header above 4 MiB. */
  maxMetaBytes: number;
}

/** 64 GiB, 1 Mi entries, depth 256, PATH_MAX, 1 MiB of metadata per entry. */
export const DEFAULT_LAYER_LIMITS: Readonly<LayerLimits> = Object.freeze({
  maxBytes: 64 * 1024 ** 3,
  maxEntries: 1024 * 1024,
  maxDepth: 256,
  maxPathBytes: 4096,
  maxMetaBytes: 1024 * 1024,
});

/** The defaults with the caller's overrides on top. */
export function layerLimits(overrides: Partial<LayerLimits> = {}): LayerLimits {
  return { ...DEFAULT_LAYER_LIMITS, ...overrides };
}

/** A `DEVENV_LIMIT` error that says which limit a layer broke and how to raise it. */
export function limitError(what: string, limit: number, entry?: string): DevenvError {
  const where = entry === undefined ? 'layer' : `layer entry ${entry}`;
  return new DevenvError('DEVENV_LIMIT', `${where}: ${what} exceeds the limit of ${limit}`, {
    hint: 'A layer this large is probably hostile; if it is genuine, raise the limit in the layer options.',
  });
}

/** A `DEVENV_ARCHIVE_INVALID` error naming the entry and what is wrong with it. */
export function invalidEntry(entry: string, what: string, cause?: unknown): DevenvError {
  return new DevenvError('DEVENV_ARCHIVE_INVALID', `layer entry ${JSON.stringify(entry)}: ${what}`, {
    cause,
  });
}

/**
 * A `DEVENV_ARCHIVE_INVALID` error about a layer as a whole. The tar parser (tar-blocks.ts) throws it
 * too, and a reader of some other tar (an image archive) names its own tar with {@link problem}.
 */
export class InvalidLayerError extends DevenvError {
  constructor(
    readonly problem: string,
    cause?: unknown,
  ) {
    super('DEVENV_ARCHIVE_INVALID', `invalid layer: ${problem}`, { cause });
  }
}

/** An {@link InvalidLayerError}. */
export function invalidLayer(what: string, cause?: unknown): DevenvError {
  return new InvalidLayerError(what, cause);
}
