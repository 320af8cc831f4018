/**
 * `pull` on the embedded runtime (docs/embedded-runtime.md#pull): resolve the reference to the manifest for this
 * platform; store the manifest, the config and the layer blobs under one lease (layers download a
 * few at a time, verified while they flow, and once only even when two pulls want the same blob);
 * unpack each layer as soon as its blob and its parent are ready; write the image record; and only
 * then move the tag. A crash at any step leaves no tag on a half-stored image, and a rerun reuses
 * every blob and layer that was finished.
 */
import type { Readable } from 'node:stream';
import { DevenvError } from '../../errors.js';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { familiarReference, isSha256Digest } from '../../image/reference.js';
import type { EventSink } from '../events.js';
import type { RegistryClient } from './registry/index.js';
import type { Descriptor as RemoteDescriptor } from '../../image/oci/manifest-schemas.js';
import { parseImageConfig } from '../../image/oci/image-config.js';
import { chainIdOf, chainIdsOf } from './store/index.js';
import type { Descriptor, LeaseHandle, Store } from './store/index.js';

declareFailpoints('embedded.pull.before-tag');

/** Downloads running at once, as Docker's default `max-concurrent-downloads` is 3. */
const PARALLEL_DOWNLOADS = 3;

/** What a pull needs. */
export interface PullDeps {
  store: Store;
  client: RegistryClient;
  onEvent: EventSink;
}

/** The short id events and messages use for a blob: the first 12 hex digits, as Docker prints. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** `busybox`, `127.0.0.1:5000/team/app`: the repository as Docker prints it in repo digests. */
export function familiarName(repo: { domain: string; path: string }): string {
  return repo.domain === 'docker.io' ? repo.path.replace(/^library\//, '') : `${repo.domain}/${repo.path}`;
}

/** The store keeps plain descriptors; a registry's may carry urls and annotations. */
function plain(d: RemoteDescriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** Runs `tasks` with at most `limit` in flight; each promise is marked handled so none goes unobserved. */
function limited<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T>[] {
  let running = 0;
  const queue: (() => void)[] = [];
  const promises = tasks.map(
    (task) =>
      new Promise<T>((resolve, reject) => {
        const start = () => {
          running++;
          task()
            .then(resolve, reject)
            .finally(() => {
              running--;
              queue.shift()?.();
            });
        };
        if (running < limit) start();
        else queue.push(start);
      }),
  );
  for (const promise of promises) promise.catch(() => undefined);
  return promises;
}

/**
 * Pulls `ref` into the store and returns the image ID. A reference with a digest records the repo
 * digest but moves no tag, as Docker does.
 */
export async function pullImage(deps: PullDeps, ref: string): Promise<string> {
  const { store, client } = deps;
  const resolved = await client.resolveImage(ref);
  const repo = resolved.repository;
  const name = familiarName(repo);
  const lease = await store.createLease(`pulling ${familiarReference(resolved.reference)}`);
  const open = new Set<Readable>();
  let failed = false;
  try {
    const manifest = await store.blobs.write(resolved.manifest.raw, { lease });
    await store.blobs.ingest(resolved.config, () => client.openBlob(repo, resolved.config), { lease });
    const config = await store.blobs.read(resolved.config.digest);
    const diffIds = parseImageConfig(config, `the config of ${ref}`).rootfs.diff_ids;
    if (diffIds.length !== resolved.layers.length)
      throw new DevenvError(
        'DEVENV_REGISTRY',
        `${ref}: the config lists ${diffIds.length} layers but the manifest ${resolved.layers.length}`,
      );
    // When a layer will be unpacked, the applier loads (and a new store probes its layer mode) while
    // the blobs download instead of after.
    const top = diffIds.every(isSha256Digest) ? chainIdsOf(diffIds).at(-1) : undefined;
    if (top === undefined || (await store.layers.get(top)) === undefined) store.layers.warm();
    const downloads = limited(
      resolved.layers.map((layer) => () => download(deps, repo, layer, lease, open, () => failed)),
      PARALLEL_DOWNLOADS,
    );
    let parent: string | undefined;
    try {
      for (const [i, layer] of resolved.layers.entries()) {
        await downloads[i];
        parent = await unpack(deps, layer, parent, diffIds[i], lease);
      }
    } catch (error) {
      // Stop the downloads still running, and wait for them, before reporting the first failure.
      failed = true;
      for (const stream of open) stream.destroy();
      await Promise.allSettled(downloads);
      throw error;
    }
    const repoDigest = `${name}@${resolved.index?.digest ?? resolved.manifestDigest}`;
    const record = await store.images.put({
      config,
      layers: resolved.layers.map(plain),
      manifestDigests: [manifest.digest],
      repoDigests: [repoDigest],
      lease,
    });
    await failpoint('embedded.pull.before-tag');
    if (resolved.reference.digest === undefined)
      await store.refs.set([{ name: familiarReference(resolved.reference), id: record.id }]);
    return record.id;
  } finally {
    await lease.release();
  }
}

async function download(
  deps: PullDeps,
  repo: { domain: string; path: string },
  layer: RemoteDescriptor,
  lease: LeaseHandle,
  open: Set<Readable>,
  cancelled: () => boolean,
): Promise<void> {
  const id = shortDigest(layer.digest);
  const result = await deps.store.blobs.ingest(
    layer,
    () => {
      if (cancelled()) throw new Error('pull cancelled');
      const stream = deps.client.openBlob(repo, layer, (current, total) => {
        deps.onEvent({ type: 'transfer:progress', id, phase: 'download', current, total });
      });
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      return stream;
    },
    { lease },
  );
  deps.onEvent({ type: 'transfer:done', id, phase: 'download', skipped: result.existed });
}

async function unpack(
  deps: PullDeps,
  layer: RemoteDescriptor,
  parent: string | undefined,
  diffId: string | undefined,
  lease: LeaseHandle,
): Promise<string> {
  const id = shortDigest(layer.digest);
  const existed =
    diffId !== undefined && (await deps.store.layers.get(chainIdOf(parent, diffId))) !== undefined;
  deps.onEvent({ type: 'transfer:progress', id, phase: 'extract', current: 0, total: layer.size });
  const created = await deps.store.layers.create({
    parent,
    blob: plain(layer),
    expectedDiffId: diffId,
    lease,
  });
  deps.onEvent({ type: 'transfer:done', id, phase: 'extract', skipped: existed });
  return created.chainId;
}
