/**
 * One image, given as its config bytes and layer blobs, as the archive `docker load` reads: the
 * combined shape of Docker >= 25 `docker save` (docs/image-formats.md#archives), so Docker 20.10's loader finds
 * manifest.json and `repositories`, and containerd-based loaders find the OCI index, manifest and
 * blobs. The plan is written with `writeExport`, the deterministic archive writer.
 */
import { createHash } from '../../util/crypto.js';
import { Readable } from 'node:stream';
import type { ExportEntry, ExportPlan } from './write-export.js';
import { familiarTag, normalizeTag } from '../reference.js';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_TAR, OCI_MANIFEST } from '../oci/media-types.js';

/** A layer blob: its content digest, size, media type and how to read it. */
export interface ArchiveLayer {
  digest: string;
  size: number;
  /** Default: an uncompressed tar, whose digest is its diff ID. */
  mediaType?: string | undefined;
  open: () => Promise<Readable>;
}

/** The image to write. */
export interface ImageArchiveInput {
  config: Buffer;
  layers: readonly ArchiveLayer[];
  /** The tag `docker load` gives it (`devenv/box:latest`). */
  tag: string;
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const blobName = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;

function bytesEntry(name: string, data: Buffer | string): ExportEntry {
  const bytes = Buffer.from(data);
  return { name, size: bytes.length, open: () => Promise.resolve(Readable.from([bytes])) };
}

/** Plans the archive of one image; write it with `writeExport`. */
export function planImageArchive(input: ImageArchiveInput): ExportPlan {
  const configDigest = sha256(input.config);
  const full = normalizeTag(input.tag);
  const familiar = familiarTag(full);
  const colon = familiar.lastIndexOf(':');
  const [repo, tag] = [familiar.slice(0, colon), familiar.slice(colon + 1)];
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: input.config.length },
    layers: input.layers.map((layer) => ({
      mediaType: layer.mediaType ?? OCI_LAYER_TAR,
      digest: layer.digest,
      size: layer.size,
    })),
  });
  const manifestDigest = sha256(manifest);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: manifestDigest,
        size: Buffer.byteLength(manifest),
        annotations: { 'io.containerd.image.name': full, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  const blobs = new Map<string, ExportEntry>();
  blobs.set(configDigest, bytesEntry(blobName(configDigest), input.config));
  blobs.set(manifestDigest, bytesEntry(blobName(manifestDigest), manifest));
  for (const layer of input.layers)
    blobs.set(layer.digest, { name: blobName(layer.digest), size: layer.size, open: layer.open });
  const top = input.layers.at(-1)?.digest.slice('sha256:'.length);
  const entries = [
    ...blobs.values(),
    bytesEntry('index.json', JSON.stringify(index)),
    bytesEntry(
      'manifest.json',
      JSON.stringify([
        {
          Config: blobName(configDigest),
          RepoTags: [familiar],
          Layers: input.layers.map((l) => blobName(l.digest)),
        },
      ]),
    ),
    bytesEntry('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' })),
    ...(top === undefined ? [] : [bytesEntry('repositories', JSON.stringify({ [repo]: { [tag]: top } }))]),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    entries,
    images: [{ id: configDigest, tags: [familiar] }],
    bytes: entries.reduce((sum, entry) => sum + entry.size, 0),
  };
}
