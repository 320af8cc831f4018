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
import { InterruptedError } from '../../util/interrupt.js';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { familiarReference, isSha256Digest } from '../../image/reference.js';
import type { EventSink } from '../events.js';
import type { RegistryClient } from './registry/index.js';
import type { Descriptor as RemoteDescriptor } from '../../image/oci/manifest-schemas.js';
import { parseImageConfig } from '../../image/oci/image-config.js';
import { DownloadTap } from './download-tap.js';
import { chainIdOf, chainIdsOf, freeBytes } from './store/index.js';
import type { Descriptor, LeaseHandle, Store } from './store/index.js';

declareFailpoints('embedded.pull.before-tag');

/** Downloads running at once, as Docker's default `max-concurrent-downloads` is 3. */
const PARALLEL_DOWNLOADS = 3;

/**
 * A layer unpacks as it downloads only when the disk has this many times its compressed size free
 * (a gzip layer unpacks to two or three times its size, and its blob is kept too).
 */
const STREAM_ROOM_FACTOR = 8;

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
    const chains = diffIds.every(isSha256Digest) ? chainIdsOf(diffIds) : [];
    const missing = async (chainId: string | undefined) =>
      chainId === undefined || (await store.layers.get(chainId)) === undefined;
    if (await missing(chains.at(-1))) store.layers.warm();
    // The base layer, when it is not stored yet, is unpacked as it downloads (download-tap.ts);
    // on a nearly full disk it downloads first, so running out of room fails as it always did: the
    // blob refused before it downloads or the layer mid-extract, the finished blob kept for a rerun.
    const taps = resolved.layers.map(() => undefined as DownloadTap | undefined);
    const base = resolved.layers[0];
    if (base !== undefined && (await missing(chains[0])) && (await roomy(store, base.size)))
      taps[0] = new DownloadTap();
    const downloads = limited(
      resolved.layers.map(
        (layer, i) => () => download(deps, repo, layer, lease, open, () => failed, taps[i]),
      ),
      PARALLEL_DOWNLOADS,
    );
    let parent: string | undefined;
    try {
      for (const [i, layer] of resolved.layers.entries()) {
        const download = downloads[i] ?? Promise.resolve();
        const tap = taps[i];
        if (tap === undefined) await download;
        parent = await unpack(deps, layer, parent, diffIds[i], lease, tap && { tap, stored: download });
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

/** Whether the store's disk has room for the blob and its unpacked layer many times over. */
async function roomy(store: Store, blobSize: number): Promise<boolean> {
  const free = await freeBytes(store.paths.root).catch(() => 0);
  return free > STREAM_ROOM_FACTOR * blobSize;
}

async function download(
  deps: PullDeps,
  repo: { domain: string; path: string },
  layer: RemoteDescriptor,
  lease: LeaseHandle,
  open: Set<Readable>,
  cancelled: () => boolean,
  tap: DownloadTap | undefined,
): Promise<void> {
  const id = shortDigest(layer.digest);
  const result = await deps.store.blobs
    .ingest(
      layer,
      () => {
        if (cancelled()) throw new Error('pull cancelled');
        const stream = deps.client.openBlob(repo, layer, (current, total) => {
          deps.onEvent({ type: 'transfer:progress', id, phase: 'download', current, total });
        });
        open.add(stream);
        stream.once('close', () => open.delete(stream));
        return tap === undefined ? stream : tap.split(stream);
      },
      { lease },
    )
    .finally(() => tap?.settle());
  deps.onEvent({ type: 'transfer:done', id, phase: 'download', skipped: result.existed });
}

async function unpack(
  deps: PullDeps,
  layer: RemoteDescriptor,
  parent: string | undefined,
  diffId: string | undefined,
  lease: LeaseHandle,
  streamed: { tap: DownloadTap; stored: Promise<void> } | undefined,
): Promise<string> {
  const id = shortDigest(layer.digest);
  const existed =
    diffId !== undefined && (await deps.store.layers.get(chainIdOf(parent, diffId))) !== undefined;
  deps.onEvent({ type: 'transfer:progress', id, phase: 'extract', current: 0, total: layer.size });
  let created;
  try {
    created = await deps.store.layers.create({
      parent,
      blob: plain(layer),
      expectedDiffId: diffId,
      lease,
      streamed: streamed && { source: streamed.tap.opened, stored: streamed.stored },
    });
  } catch (error) {
    // The unpack read unverified bytes: when the download fails too (wrong digest, network, disk),
    // its error is the one to report, as it was when the unpack came after it. The wait costs
    // nothing extra, since the download no longer waits for the unpack.
    if (streamed !== undefined && !(error instanceof InterruptedError)) {
      streamed.tap.detach();
      await streamed.stored;
    }
    throw error;
  } finally {
    streamed?.tap.detach();
  }
  deps.onEvent({ type: 'transfer:done', id, phase: 'extract', skipped: existed });
  return created.chainId;
}
