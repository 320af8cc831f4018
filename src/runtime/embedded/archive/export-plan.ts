/**
 * What `save` writes (docs/image-formats.md#archives): the combined Docker >= 25 `docker save` + OCI layout shape.
 * manifest.json with `blobs/sha256/…` paths and `repositories` for `docker load` (20.10 needs
 * manifest.json), `oci-layout` and `index.json` with `io.containerd.image.name` and
 * `org.opencontainers.image.ref.name` annotations for OCI tools, and the blobs: one OCI manifest per
 * image, the config bytes as stored, and every layer as the store keeps it when `docker load` reads
 * that form (uncompressed, or gzip as pulled: streamed as stored, checked against its digest on the
 * way), else decompressed (zstd) so its digest is its diff ID.
 */
import { createHash } from '../../../util/crypto.js';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream, Transform } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { familiarTag, isSha256Digest, normalizeTag, parseReference } from '../../../image/reference.js';
import { chainIdsOf } from '../store/chain-id.js';
import type { ImageRecord } from '../store/schemas.js';
import type { Store } from '../store/store.js';
import type { Decompressor } from '../../../image/layer/decompress-file.js';
import type { ExportEntry, ExportPlan } from '../../../image/archive/write-export.js';
import {
  DOCKER_LAYER_GZIP,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_LAYER_TAR,
  OCI_MANIFEST,
} from '../../../image/oci/media-types.js';

function bytesEntry(name: string, text: string): ExportEntry {
  const data = Buffer.from(text);
  return { name, size: data.length, open: () => Promise.resolve(ReadableStream.from([data])) };
}

/** Passes `source` through, failing at its end unless it hashed to `digest`. */
function verified(source: Readable, digest: string, what: string): Readable {
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `sha256:${hash.digest('hex')}`;
      callback(
        actual === digest
          ? null
          : new DevenvError('DEVENV_DIGEST_MISMATCH', `${what}: content hashes to ${actual}, not ${digest}`),
      );
    },
  });
  source.on('error', (error) => check.destroy(error));
  return source.pipe(check);
}

/** One layer of the archive: its file, and what the OCI manifest says of it. */
interface LayerEntry extends ExportEntry {
  digest: string;
  mediaType: string;
}

async function layerEntries(
  store: Store,
  record: ImageRecord,
  decompress: Decompressor,
): Promise<LayerEntry[]> {
  const chainIds = chainIdsOf(record.layers.map((layer) => layer.diffId));
  const entries: LayerEntry[] = [];
  for (const [i, layer] of record.layers.entries()) {
    const stored = await store.layers.get(chainIds[i] ?? '');
    if (stored === undefined)
      throw new DevenvError('DEVENV_STORE', `image ${record.id}: layer ${i} is missing`, {
        hint: 'Run "devenv doctor --repair", then pull or load the image again.',
      });
    const what = `layer ${layer.digest} of image ${record.id}`;
    if (await store.blobs.has(layer.diffId)) {
      // An uncompressed copy is its own diff.
      entries.push({
        name: `blobs/sha256/${layer.diffId.slice(7)}`,
        size: stored.size,
        digest: layer.diffId,
        mediaType: OCI_LAYER_TAR,
        open: () => Promise.resolve(store.blobs.openRead(layer.diffId)),
        file: { path: store.blobs.path(layer.diffId), digest: layer.diffId },
      });
    } else if (layer.mediaType === OCI_LAYER_GZIP || layer.mediaType === DOCKER_LAYER_GZIP) {
      // A gzip blob goes out as pulled: a third of the bytes, and nothing to decompress on the way.
      // docker load (any version) and OCI tools take gzip layers; each side checks the diff ID as it
      // unpacks.
      entries.push({
        name: `blobs/sha256/${layer.digest.slice(7)}`,
        size: layer.size,
        digest: layer.digest,
        mediaType: OCI_LAYER_GZIP,
        open: () => Promise.resolve(store.blobs.openRead(layer.digest)),
        file: { path: store.blobs.path(layer.digest), digest: layer.digest },
      });
    } else {
      // zstd: docker load before 23.0 cannot read it, so it is decompressed on the way.
      entries.push({
        name: `blobs/sha256/${layer.diffId.slice(7)}`,
        size: stored.size,
        digest: layer.diffId,
        mediaType: OCI_LAYER_TAR,
        open: async () => verified(await decompress(store.blobs.path(layer.digest)), layer.diffId, what),
      });
    }
  }
  return entries;
}

/** Plans the export of `refs` (tags or image IDs; a tag is written with the image, an ID is not). */
export async function planExport(
  store: Store,
  refs: readonly string[],
  decompress: Decompressor,
): Promise<ExportPlan> {
  const wanted = new Map<string, Set<string>>();
  for (const ref of refs) {
    const id = await store.refs.resolve(ref);
    if (id === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `no such image: ${ref}`);
    const tags = wanted.get(id) ?? new Set<string>();
    const isId = isSha256Digest(ref) || /^(?:sha256:)?[a-f0-9]{12,64}$/.test(ref);
    if (!isId) tags.add(normalizeTag(ref));
    wanted.set(id, tags);
  }
  const blobs = new Map<string, ExportEntry>();
  const manifestJson: unknown[] = [];
  const indexManifests: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const images: ExportPlan['images'] = [];
  for (const [id, tagSet] of wanted) {
    const record = await store.images.get(id);
    if (record === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `no such image: ${id}`);
    const { bytes: config } = await store.images.config(id);
    const layers = await layerEntries(store, record, decompress);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: id, size: config.length },
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    });
    const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    blobs.set(id, {
      name: `blobs/sha256/${id.slice(7)}`,
      size: config.length,
      open: () => Promise.resolve(store.blobs.openRead(id)),
      file: { path: store.blobs.path(id), digest: id },
    });
    blobs.set(manifestDigest, bytesEntry(`blobs/sha256/${manifestDigest.slice(7)}`, manifest));
    for (const { name, size, open, file } of layers) blobs.set(name, { name, size, open, file });
    const tags = [...tagSet].sort();
    manifestJson.push({
      Config: `blobs/sha256/${id.slice(7)}`,
      RepoTags: tags.length > 0 ? tags.map(familiarTag) : null,
      Layers: layers.map((l) => l.name),
    });
    const descriptor = { mediaType: OCI_MANIFEST, digest: manifestDigest, size: Buffer.byteLength(manifest) };
    if (tags.length === 0) indexManifests.push(descriptor);
    for (const tag of tags) {
      const parsed = parseReference(tag);
      const shortTag = typeof parsed === 'string' ? 'latest' : (parsed.tag ?? 'latest');
      indexManifests.push({
        ...descriptor,
        annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': shortTag },
      });
      const familiar = familiarTag(tag);
      const repo = familiar.slice(0, familiar.length - shortTag.length - 1);
      (repositories[repo] ??= {})[shortTag] = layers.at(-1)?.name.slice(13) ?? '';
    }
    images.push({ id, tags: tags.map(familiarTag) });
  }
  const entries = [
    ...blobs.values(),
    bytesEntry(
      'index.json',
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: indexManifests }),
    ),
    bytesEntry('manifest.json', JSON.stringify(manifestJson)),
    bytesEntry('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' })),
    ...(Object.keys(repositories).length > 0
      ? [bytesEntry('repositories', JSON.stringify(repositories))]
      : []),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, images, bytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
}
