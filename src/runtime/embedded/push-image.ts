/**
 * `push` on the embedded runtime: uploads the layer blobs and the config the image record names
 * (skipping what the registry has, mounting from another repository of the same registry when the
 * image came from there), then the manifest, last, so the tag never names an incomplete image. The
 * manifest the image was pulled or loaded with is reused byte for byte when it still describes the
 * image, so a pull → push round trip keeps the digest; otherwise one is written from the record.
 */
import { z } from 'zod';
import { DevenvError } from '../../errors.js';
import { parseReference } from '../../image/reference.js';
import type { EventSink } from '../events.js';
import { familiarName, shortDigest } from './pull-image.js';
import {
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_MANIFEST,
  manifestKind,
} from '../../image/oci/media-types.js';
import type { RegistryClient } from './registry/index.js';
import type { ImageRecord, Store } from './store/index.js';

/** What a push needs. */
export interface PushDeps {
  store: Store;
  client: RegistryClient;
  onEvent: EventSink;
}

const StoredManifestSchema = z.looseObject({
  mediaType: z.string().optional(),
  config: z.looseObject({ digest: z.string() }),
  layers: z.array(z.looseObject({ digest: z.string() })),
});

/** A stored manifest of `record` that still lists exactly its config and layer blobs, else a new one. */
async function manifestFor(
  store: Store,
  record: ImageRecord,
  configSize: number,
): Promise<{ raw: Uint8Array; mediaType: string }> {
  for (const digest of record.manifestDigests) {
    const raw = await store.blobs.read(digest).catch(() => undefined);
    if (raw === undefined) continue;
    let parsed: z.infer<typeof StoredManifestSchema> | undefined;
    try {
      parsed = StoredManifestSchema.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      continue;
    }
    const mediaType = parsed.mediaType ?? OCI_MANIFEST;
    if (
      manifestKind(mediaType) === 'manifest' &&
      parsed.config.digest === record.id &&
      parsed.layers.map((l) => l.digest).join() === record.layers.map((l) => l.digest).join()
    )
      return { raw, mediaType };
  }
  const docker = record.layers.every((layer) => layer.mediaType.startsWith('application/vnd.docker.'));
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: { mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, digest: record.id, size: configSize },
    layers: record.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  return { raw: Buffer.from(JSON.stringify(manifest)), mediaType: manifest.mediaType };
}

/** A repository of the same registry the image was pulled from or pushed to, for blob mounts. */
function mountSource(record: ImageRecord, repo: { domain: string; path: string }): string | undefined {
  for (const repoDigest of record.repoDigests) {
    const parsed = parseReference(repoDigest);
    if (typeof parsed !== 'string' && parsed.domain === repo.domain && parsed.path !== repo.path)
      return parsed.path;
  }
  return undefined;
}

/** Pushes the image tagged `ref` to its registry; returns the manifest digest. */
export async function pushImage(deps: PushDeps, ref: string): Promise<string> {
  const { store, client, onEvent } = deps;
  const parsed = parseReference(ref);
  if (typeof parsed === 'string' || parsed.digest !== undefined)
    throw new DevenvError('DEVENV_USAGE', `push needs a name[:tag] reference, not ${ref}`);
  const id = await store.refs.resolve(ref);
  const record = id === undefined ? undefined : await store.images.get(id);
  if (record === undefined)
    throw new DevenvError('DEVENV_NOT_FOUND', `no image is tagged ${ref}`, {
      hint: `tag one first: devenv --runtime embedded tag IMAGE ${ref}`,
    });
  const repo = { domain: parsed.domain, path: parsed.path };
  const { bytes: config } = await store.images.config(record.id);
  const mountFrom = mountSource(record, repo);
  const blobs = [
    ...record.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    { mediaType: OCI_CONFIG, digest: record.id, size: config.length },
  ];
  for (const blob of blobs) {
    const short = shortDigest(blob.digest);
    const outcome = await client.pushBlob(repo, blob, () => store.blobs.openRead(blob.digest), {
      mountFrom,
      onProgress: (current, total) => {
        onEvent({ type: 'transfer:progress', id: short, phase: 'upload', current, total });
      },
    });
    onEvent({ type: 'transfer:done', id: short, phase: 'upload', skipped: outcome !== 'uploaded' });
  }
  const manifest = await manifestFor(store, record, config.length);
  const digest = await client.putManifest(repo, parsed.tag ?? 'latest', manifest.raw, manifest.mediaType);
  const lease = await store.createLease(`recording the push of ${ref}`);
  try {
    await store.blobs.write(manifest.raw, { lease });
    await store.images.put({
      config,
      layers: record.layers.map(({ mediaType, digest: d, size }) => ({ mediaType, digest: d, size })),
      manifestDigests: [digest],
      repoDigests: [`${familiarName(repo)}@${digest}`],
      lease,
    });
  } finally {
    await lease.release();
  }
  return digest;
}
