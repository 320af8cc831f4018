/**
 * Garbage collection by mark and sweep from roots (docs/reliability.md, rule 5): tags, images that
 * containers use, and live leases. Everything reachable from a root is kept: an image's config and
 * manifest blobs, its layer blobs and every layer of its chain. The whole pass holds the store lock,
 * and every operation records what it uses in its lease under the same lock, so prune never removes
 * what an operation in flight uses (K5).
 */
import { lstat, rm, unlink } from '../../../util/fs-async.js';
import { DevenvError } from '../../../errors.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { chainIdsOf } from './chain-id.js';
import { containerImages } from './containers.js';
import { treeSize } from './fs-util.js';
import { listLeases } from './leases.js';
import { findLeftovers } from './leftovers.js';
import { removeLayerLeftover } from './layers.js';
import type { Store } from './store.js';

declareFailpoints('store.prune.mid-sweep');

/** What prune removed and how many bytes it freed. */
export interface PruneResult {
  images: string[];
  layers: string[];
  blobs: string[];
  reclaimedBytes: number;
}

/** Options of {@link pruneStore}. */
export interface PruneOptions {
  /**
   * Keep every image record, tagged or not, and sweep only what no image uses: what `rmi` runs after
   * deleting records, so their layers go at once (as Docker's do) while untagged images stay.
   */
  keepImages?: boolean | undefined;
}

async function markRoots(
  store: Store,
  options: PruneOptions,
): Promise<{ images: Set<string>; layers: Set<string>; blobs: Set<string> }> {
  const refs = await store.refs.all();
  const images = new Set(Object.values(refs));
  if (options.keepImages === true) for (const id of await store.images.list()) images.add(id);
  const layers = new Set<string>();
  const blobs = new Set<string>();
  for (const use of await containerImages(store.ctx, refs)) {
    // A container whose config cannot be read might use any image: refuse rather than guess.
    if (use.corrupt !== undefined) {
      throw new DevenvError('DEVENV_STORE', `cannot prune: ${use.file} is corrupt (${use.corrupt})`, {
        hint: 'Run "devenv doctor" to see what is wrong with that container.',
      });
    }
    if (use.id !== undefined) images.add(use.id);
  }
  for (const entry of await listLeases(store.ctx)) {
    if (entry.lease === undefined || entry.stale !== undefined) continue;
    entry.lease.images.forEach((id) => images.add(id));
    entry.lease.layers.forEach((id) => layers.add(id));
    entry.lease.blobs.forEach((id) => blobs.add(id));
  }
  return { images, layers, blobs };
}

/** Removes every image, layer and blob no root reaches, plus crash leftovers; reports the bytes freed. */
export async function pruneStore(store: Store, options: PruneOptions = {}): Promise<PruneResult> {
  const detached: string[] = [];
  const result = await store.ctx.withStoreLock('pruning', async () => {
    const marked = await markRoots(store, options);
    for (const id of marked.images) {
      // A corrupt record throws: sweeping around state we cannot read could delete what it uses.
      const record = await store.images.get(id);
      if (record === undefined) continue;
      marked.blobs.add(id);
      record.manifestDigests.forEach((digest) => marked.blobs.add(digest));
      record.layers.forEach((layer) => marked.blobs.add(layer.digest));
      chainIdsOf(record.layers.map((layer) => layer.diffId)).forEach((chainId) => marked.layers.add(chainId));
    }
    // A marked layer keeps its whole chain below it.
    for (const chainId of [...marked.layers]) {
      for (let record = await store.layers.get(chainId); record?.parent != null;) {
        marked.layers.add(record.parent);
        record = await store.layers.get(record.parent);
      }
    }
    const pruned: PruneResult = { images: [], layers: [], blobs: [], reclaimedBytes: 0 };
    for (const leftover of await findLeftovers(store.ctx)) {
      pruned.reclaimedBytes += await treeSize(leftover.path).catch(() => 0);
      await leftover.remove();
    }
    for (const id of await store.images.list()) {
      if (marked.images.has(id)) continue;
      pruned.reclaimedBytes += (await lstat(store.paths.image(id))).size;
      await rm(store.paths.image(id), { force: true });
      pruned.images.push(id);
    }
    await failpoint('store.prune.mid-sweep');
    for (const digest of await store.blobs.list()) {
      if (marked.blobs.has(digest)) continue;
      pruned.reclaimedBytes += (await store.blobs.size(digest)) ?? 0;
      await unlink(store.blobs.path(digest));
      pruned.blobs.push(digest);
    }
    for (const chainId of await store.layers.list()) {
      if (marked.layers.has(chainId)) continue;
      pruned.reclaimedBytes += await treeSize(store.paths.layer(chainId));
      const doomed = await store.layers.detach(chainId);
      if (doomed !== undefined) detached.push(doomed);
      pruned.layers.push(chainId);
    }
    return pruned;
  });
  // Detached (renamed to *-removing) under the lock; the slow deletion runs outside it.
  for (const dir of detached) await removeLayerLeftover(store.ctx, dir);
  return result;
}
