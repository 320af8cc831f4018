/**
 * What an archive holds, fully checked before anyone uses it (the embedded store imports it, the
 * Docker squash reads `docker save` output with it): raw config and manifest bytes, every layer blob
 * with the diff ID its config promises. Shared by the docker save and OCI layout readers.
 */
import type { z } from 'zod';
import { DevenvError } from '../../errors.js';
import { parseImageConfig } from '../oci/image-config.js';
import type { ImageConfig } from '../oci/image-config.js';
import { parseShape, ShapeError } from '../../util/shape.js';
import type { Check } from '../../util/shape.js';
import type { FileEntry } from './archive-index.js';
import { entryDigest, invalidArchive } from './archive-index.js';
import { detectFileCompression } from '../layer/decompress-file.js';
import { OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_ZSTD } from '../oci/media-types.js';

/** One layer of a planned image. */
export interface PlannedLayer {
  entry: FileEntry;
  /** sha256 of the blob as it is in the archive (compressed or not). */
  digest: string;
  size: number;
  mediaType: string;
  /** The diff ID the config promises. */
  diffId: string;
  /** A plain tar by its first bytes (whatever the media type says): its digest, checked, is its diff ID. */
  plainTar: boolean;
}

/** One image of the archive. */
export interface PlannedImage {
  /** Names the image in messages ("image 1 in manifest.json"). */
  what: string;
  config: Buffer;
  configDigest: string;
  layers: PlannedLayer[];
  /** Fully qualified tags. */
  tags: string[];
  manifest?: { bytes: Buffer; digest: string } | undefined;
}

/** Parses archive JSON against `schema`, with a DEVENV_ARCHIVE_INVALID error naming `what`. */
export function parseArchiveJson<T>(bytes: Buffer, schema: z.ZodType<T>, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidArchive(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidArchive(`${what} is invalid: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}

/** {@link parseArchiveJson} with a small typed check (util/shape.ts) instead of a zod schema. */
export function parseArchiveShape<T>(bytes: Buffer, check: Check<T>, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidArchive(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseShape(check, data);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw invalidArchive(`${what} is invalid: ${error.message}`);
  }
}

/** The image config, or DEVENV_ARCHIVE_INVALID when the bytes are not one. */
export function parseConfig(bytes: Buffer, what: string): ImageConfig {
  try {
    return parseImageConfig(bytes, what);
  } catch (error) {
    throw invalidArchive((error as Error).message);
  }
}

/** Docker's message for a layer whose content does not match the config (moby load.go). */
export function invalidDiffId(index: number, expected: string, actual: string): DevenvError {
  return new DevenvError(
    'DEVENV_DIGEST_MISMATCH',
    `invalid diffID for layer ${index}: expected ${expected}, got ${actual}`,
    {
      hint: 'The archive is corrupt or was tampered with; save or copy it again.',
    },
  );
}

/**
 * Pairs layer blobs with the config's diff IDs: the counts must match, and an uncompressed layer's
 * own digest must already be its diff ID (a compressed one is checked while it is unpacked).
 * `mediaType` undefined means "decide by magic", as docker save archives carry none.
 */
export async function planLayers(
  config: ImageConfig,
  layers: readonly { entry: FileEntry; mediaType: string | undefined }[],
  what: string,
): Promise<PlannedLayer[]> {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) {
    throw invalidArchive(
      `invalid manifest, layers length mismatch: ${what} has ${layers.length} layers but its config lists ${diffIds.length} diff IDs`,
    );
  }
  const planned: PlannedLayer[] = [];
  for (const [i, { entry, mediaType }] of layers.entries()) {
    const digest = await entryDigest(entry);
    const compression = await detectFileCompression(entry.file);
    const diffId = diffIds[i] ?? '';
    if (compression === 'none' && digest !== diffId) throw invalidDiffId(i, diffId, digest);
    const byMagic =
      compression === 'gzip' ? OCI_LAYER_GZIP : compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER_TAR;
    planned.push({
      entry,
      digest,
      size: entry.size,
      mediaType: mediaType ?? byMagic,
      diffId,
      plainTar: compression === 'none',
    });
  }
  return planned;
}
