/**
 * From a fetched manifest or index to the one image manifest that runs here: platform selection
 * through nested indexes (depth ≤ 4, cycles refused, attestations skipped), then the checks that make
 * it a container image (an image config, known layer types).
 */
import { registryError } from './errors.js';
import type { FetchedManifest } from './manifest.js';
import { isImageConfig, isLayerType, manifestKind } from '../../../image/oci/media-types.js';
import { formatPlatform, isAttestation, platformScore, selectPlatform } from '../../../image/oci/platform.js';
import type { TargetPlatform } from '../../../image/oci/platform.js';
import type { Descriptor } from '../../../image/oci/manifest-schemas.js';

type IndexManifest = Extract<FetchedManifest, { kind: 'index' }>;
/** A fetched image manifest (not an index). */
export type ImageManifestDocument = Extract<FetchedManifest, { kind: 'manifest' }>;

/** Deepest index nesting we follow, counting the top index as depth 0. */
export const MAX_INDEX_DEPTH = 4;

/**
 * The image manifest for `target` under `top`. `fetchByDigest` reads (and verifies) a child by digest;
 * `where` names the image in messages.
 */
export async function selectImageManifest(
  top: FetchedManifest,
  target: TargetPlatform,
  fetchByDigest: (digest: string) => Promise<FetchedManifest>,
  where: string,
): Promise<ImageManifestDocument> {
  if (top.kind === 'manifest') return top;
  const available = new Set<string>();
  const fetchChild = async (descriptor: Descriptor): Promise<FetchedManifest> => {
    const child = await fetchByDigest(descriptor.digest);
    if (child.raw.byteLength !== descriptor.size)
      throw registryError(
        `${where}: manifest ${descriptor.digest} is ${child.raw.byteLength} bytes, the index says ${descriptor.size}`,
      );
    return child;
  };
  const visit = async (
    index: IndexManifest,
    depth: number,
    seen: Set<string>,
  ): Promise<ImageManifestDocument | undefined> => {
    for (const d of index.parsed.manifests)
      if (d.platform !== undefined && !isAttestation(d) && manifestKind(d.mediaType) === 'manifest')
        available.add(formatPlatform(d.platform));
    const images = index.parsed.manifests.filter((d) => manifestKind(d.mediaType) === 'manifest');
    const chosen = selectPlatform(images, target);
    if (chosen !== undefined) {
      const child = await fetchChild(chosen);
      if (child.kind !== 'manifest')
        throw registryError(`${where}: ${chosen.digest} is listed as a manifest but is an index`);
      return child;
    }
    for (const d of index.parsed.manifests) {
      if (manifestKind(d.mediaType) !== 'index' || isAttestation(d)) continue;
      if (d.platform !== undefined && platformScore(d.platform, target) === 0) continue;
      if (seen.has(d.digest)) throw registryError(`${where}: the index refers back to ${d.digest} (a cycle)`);
      if (depth + 1 > MAX_INDEX_DEPTH)
        throw registryError(`${where}: indexes are nested more than ${MAX_INDEX_DEPTH} deep`);
      const nested = await fetchChild(d);
      if (nested.kind !== 'index')
        throw registryError(`${where}: ${d.digest} is listed as an index but is a manifest`);
      const found = await visit(nested, depth + 1, new Set([...seen, d.digest]));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const found = await visit(top, 0, new Set([top.digest]));
  if (found !== undefined) return found;
  throw registryError(
    `no ${formatPlatform(target)} image in ${where}; available: ${available.size === 0 ? 'none' : [...available].join(', ')}`,
    'use an image built for this machine, or build one with docker buildx --platform',
  );
}

/** Throws unless `manifest` describes a container image: an image config and layers of known types. */
export function checkImageManifest(manifest: ImageManifestDocument, where: string): void {
  const { config, layers } = manifest.parsed;
  if (!isImageConfig(config.mediaType))
    throw registryError(`${where} is not a container image (its config is ${config.mediaType})`);
  layers.forEach((layer, i) => {
    if (!isLayerType(layer.mediaType))
      throw registryError(
        `${where}: layer ${i} has media type ${layer.mediaType}, which is not a container layer`,
      );
  });
}
