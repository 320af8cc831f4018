/**
 * Reads an OCI image layout (image-layout.md) through index.json: nested indexes are followed (depth
 * at most 4, cycles refused), the linux/<arch> manifest is picked from multi-platform indexes,
 * attestation manifests are skipped, and every blob is verified against its descriptor. Config or
 * non-image targets, empty indexes and oversized JSON are refused with a clear message (T15).
 */
import { z } from 'zod';
import { DigestSchema } from '../oci/digest-schema.js';
import { normalizeTag } from '../reference.js';
import type { ArchiveIndex } from './archive-index.js';
import { invalidArchive, readEntry } from './archive-index.js';
import { MAX_INDEX_DEPTH, MAX_JSON_BYTES, MAX_MANIFEST_BYTES } from './archive-limits.js';
import {
  isForeignLayer,
  isImageConfig,
  isIndexType,
  isLayerType,
  isManifestType,
} from '../oci/media-types.js';
import { parseArchiveJson, parseConfig, planLayers } from './archive-plan.js';
import type { PlannedImage } from './archive-plan.js';
import { formatPlatform, platformScore } from '../oci/platform.js';
import type { TargetPlatform as Platform } from '../oci/platform.js';
import { resolveBlob, resolveFile } from './resolve.js';

const DescriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z
    .looseObject({ os: z.string(), architecture: z.string(), variant: z.string().optional() })
    .optional(),
});
type Descriptor = z.infer<typeof DescriptorSchema>;
const IndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
});
const ManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});
const LayoutSchema = z.looseObject({ imageLayoutVersion: z.string() });

function tagsOf(descriptor: Descriptor): string[] {
  const annotations = descriptor.annotations ?? {};
  const full = annotations['io.containerd.image.name'];
  const name = annotations['org.opencontainers.image.ref.name'];
  // ref.name alone is often just a tag ("latest"); only a full reference names a repository.
  const candidate = full ?? (name !== undefined && /[:/]/.test(name) ? name : undefined);
  if (candidate === undefined) return [];
  try {
    return [normalizeTag(candidate)];
  } catch (error) {
    throw invalidArchive(`index.json: invalid image name annotation: ${(error as Error).message}`);
  }
}

function platformOf(d: Descriptor): Platform | undefined {
  const p = d.platform;
  return p === undefined ? undefined : { os: p.os, architecture: p.architecture, variant: p.variant };
}

function pickPlatform(manifests: Descriptor[], platform: Platform, what: string): Descriptor[] {
  const images = manifests.filter(
    (m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (!images.some((m) => m.platform !== undefined)) return images;
  const matching = images.filter((m) => {
    const candidate = platformOf(m);
    return candidate !== undefined && platformScore(candidate, platform) > 0;
  });
  if (matching.length === 0) {
    const found = images.map((m) => {
      const candidate = platformOf(m);
      return candidate === undefined ? 'unknown' : formatPlatform(candidate);
    });
    throw invalidArchive(`${what} has no image for ${formatPlatform(platform)} (found: ${found.join(', ')})`);
  }
  return matching.slice(0, 1);
}

async function visit(
  index: ArchiveIndex,
  d: Descriptor,
  platform: Platform,
  stack: string[],
  tags: string[],
  out: PlannedImage[],
): Promise<void> {
  const what = `${d.mediaType} ${d.digest}`;
  if (stack.includes(d.digest)) throw invalidArchive(`index cycle: ${d.digest} contains itself`);
  if (stack.length > MAX_INDEX_DEPTH)
    throw invalidArchive(`indexes nest deeper than ${MAX_INDEX_DEPTH} at ${d.digest}`);
  if (isImageConfig(d.mediaType))
    throw invalidArchive(`unsupported image: ${d.digest} in an index is an image config, not a manifest`);
  if (!isIndexType(d.mediaType) && !isManifestType(d.mediaType))
    throw invalidArchive(
      `unsupported image: ${d.digest} has media type ${d.mediaType}, not an image manifest or index`,
    );
  const entry = await resolveBlob(index, d.digest, d.size, what);
  const bytes = await readEntry(entry, isIndexType(d.mediaType) ? MAX_JSON_BYTES : MAX_MANIFEST_BYTES, what);
  if (isIndexType(d.mediaType)) {
    const nested = parseArchiveJson(bytes, IndexSchema, what);
    if (nested.manifests.length === 0) throw invalidArchive(`unsupported image: index ${d.digest} is empty`);
    for (const child of pickPlatform(nested.manifests, platform, what))
      await visit(index, child, platform, [...stack, d.digest], [...tags, ...tagsOf(child)], out);
    return;
  }
  const manifest = parseArchiveJson(bytes, ManifestSchema, what);
  if (!isImageConfig(manifest.config.mediaType))
    throw invalidArchive(
      `unsupported image: manifest ${d.digest} has a ${manifest.config.mediaType} config, not an image config`,
    );
  const foreign = manifest.layers.find(
    (layer) => !isLayerType(layer.mediaType) || isForeignLayer(layer.mediaType),
  );
  if (foreign !== undefined)
    throw invalidArchive(`unsupported image: manifest ${d.digest} has a layer of type ${foreign.mediaType}`);
  const configEntry = await resolveBlob(
    index,
    manifest.config.digest,
    manifest.config.size,
    `config of ${what}`,
  );
  const configBytes = await readEntry(configEntry, MAX_JSON_BYTES, `config of ${what}`);
  const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
  const layers = [];
  for (const [i, layer] of manifest.layers.entries())
    layers.push({
      entry: await resolveBlob(index, layer.digest, layer.size, `layer ${i} of ${what}`),
      mediaType: layer.mediaType,
    });
  const existing = out.find((image) => image.configDigest === manifest.config.digest);
  if (existing !== undefined) {
    existing.tags = [...new Set([...existing.tags, ...tags])];
    return;
  }
  out.push({
    what,
    config: configBytes,
    configDigest: manifest.config.digest,
    layers: await planLayers(config, layers, what),
    tags: [...new Set(tags)],
    manifest: { bytes, digest: d.digest },
  });
}

/** Plans the images of an OCI layout for `platform`. */
export async function planOciLayout(index: ArchiveIndex, platform: Platform): Promise<PlannedImage[]> {
  const layout = parseArchiveJson(
    await readEntry(resolveFile(index, 'oci-layout', 'oci-layout'), 64 * 1024, 'oci-layout'),
    LayoutSchema,
    'oci-layout',
  );
  if (layout.imageLayoutVersion !== '1.0.0')
    throw invalidArchive(`unsupported OCI layout version ${layout.imageLayoutVersion}`);
  const top = parseArchiveJson(
    await readEntry(resolveFile(index, 'index.json', 'index.json'), MAX_JSON_BYTES, 'index.json'),
    IndexSchema,
    'index.json',
  );
  if (top.manifests.length === 0)
    throw invalidArchive('unsupported image: the archive contains no images (index.json is empty)');
  const images: PlannedImage[] = [];
  // Each top-level entry is its own image (one per tag, Docker writes); platform choice applies
  // inside nested indexes and among top-level entries that carry platforms.
  const withPlatform = top.manifests.filter((m) => m.platform !== undefined);
  const chosen =
    withPlatform.length > 0
      ? [
          ...top.manifests.filter((m) => m.platform === undefined),
          ...pickPlatform(withPlatform, platform, 'index.json'),
        ]
      : top.manifests;
  for (const descriptor of chosen) await visit(index, descriptor, platform, [], tagsOf(descriptor), images);
  return images;
}
