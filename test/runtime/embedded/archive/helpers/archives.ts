/**
 * Archives built in code (never checked-in binaries): docker save legacy (Docker <= 24) and OCI
 * layouts, from layer fixtures, with hooks to make them hostile.
 */
import { createHash } from 'node:crypto';
import type { LayerFixture, TarEntry } from '../../store/helpers/fixtures.js';
import { makeConfig, makeTar, sha256 } from '../../store/helpers/fixtures.js';

/** An image to put into an archive. */
export interface ArchiveImage {
  layers: LayerFixture[];
  tags?: string[];
  comment?: string;
  /** Config bytes to use instead of the default one. */
  config?: Buffer;
}

/** The archive's entries, to change before packing, and the config digests. */
export interface ArchiveParts {
  entries: TarEntry[];
  configs: Buffer[];
}

function v1id(index: number, layer: LayerFixture): string {
  return createHash('sha256').update(`${index} ${layer.diffId}`).digest('hex');
}

/** The entries of a legacy `docker save` archive (`<v1id>/layer.tar`, `<config-hex>.json`). */
export function legacyParts(images: readonly ArchiveImage[]): ArchiveParts {
  const entries: TarEntry[] = [];
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const configs: Buffer[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    const config =
      image.config ??
      makeConfig(
        image.layers.map((l) => l.diffId),
        image.comment ?? 'legacy',
      );
    configs.push(config);
    const configName = `${sha256(config).slice(7)}.json`;
    const layerNames: string[] = [];
    for (const [i, layer] of image.layers.entries()) {
      const id = v1id(i, layer);
      layerNames.push(`${id}/layer.tar`);
      if (seen.has(id)) continue;
      seen.add(id);
      entries.push(
        { name: `${id}/` },
        { name: `${id}/VERSION`, content: '1.0' },
        { name: `${id}/json`, content: JSON.stringify({ id }) },
      );
      entries.push({ name: `${id}/layer.tar`, content: layer.blob });
    }
    if (!entries.some((e) => e.name === configName)) entries.push({ name: configName, content: config });
    manifest.push({ Config: configName, RepoTags: image.tags ?? null, Layers: layerNames });
    for (const tag of image.tags ?? []) {
      const colon = tag.lastIndexOf(':');
      (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] =
        layerNames.at(-1)?.split('/')[0] ?? '';
    }
  }
  entries.push(
    { name: 'manifest.json', content: JSON.stringify(manifest) },
    { name: 'repositories', content: JSON.stringify(repositories) },
  );
  return { entries, configs };
}

/** A descriptor of bytes. */
export function descriptor(mediaType: string, data: Buffer, extra: Record<string, unknown> = {}) {
  return { mediaType, digest: sha256(data), size: data.length, ...extra };
}

/** A blob entry `blobs/sha256/<hex>` for `data`. */
export function blobEntry(data: Buffer): TarEntry {
  return { name: `blobs/sha256/${sha256(data).slice(7)}`, content: data };
}

/** An OCI image manifest for `layers` and its config, with their blob entries. */
export function ociImage(image: ArchiveImage): { manifest: Buffer; entries: TarEntry[]; config: Buffer } {
  const config =
    image.config ??
    makeConfig(
      image.layers.map((l) => l.diffId),
      image.comment ?? 'oci',
    );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: image.layers.map((l) => descriptor(l.mediaType, l.blob)),
    }),
  );
  return {
    manifest,
    config,
    entries: [blobEntry(config), blobEntry(manifest), ...image.layers.map((l) => blobEntry(l.blob))],
  };
}

/** The entries of an OCI layout whose index.json lists `manifests` (descriptors), plus `blobs`. */
export function ociLayoutParts(manifests: readonly unknown[], blobs: readonly TarEntry[]): TarEntry[] {
  const unique = new Map(blobs.map((b) => [b.name, b]));
  return [
    { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    {
      name: 'index.json',
      content: JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests,
      }),
    },
    ...unique.values(),
  ];
}

/** An OCI layout with one manifest per image, annotated with its tags. */
export function ociLayout(images: readonly ArchiveImage[]): TarEntry[] {
  const manifests: unknown[] = [];
  const blobs: TarEntry[] = [];
  for (const image of images) {
    const built = ociImage(image);
    blobs.push(...built.entries);
    const base = descriptor('application/vnd.oci.image.manifest.v1+json', built.manifest);
    if ((image.tags ?? []).length === 0) manifests.push(base);
    for (const tag of image.tags ?? []) {
      manifests.push({
        ...base,
        annotations: {
          'io.containerd.image.name': tag,
          'org.opencontainers.image.ref.name': tag.split(':').at(-1),
        },
      });
    }
  }
  return ociLayoutParts(manifests, blobs);
}

/** Packs entries into a tar. */
export { makeTar };
