/**
 * Opening a store: root checks, directory layout, recovery of what a crashed process left, and the
 * parts (blobs, layers, images, refs, leases) sharing one context.
 */
import { mkdir } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import type { ImageSummary } from '../../runtime.js';
import { BlobStore } from './blobs.js';
import { chainIdsOf } from './chain-id.js';
import { createContext } from './store-context.js';
import type { StoreContext } from './store-context.js';
import { ImageStore } from './images.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { LayerStore } from './layers.js';
import { createLease, DEFAULT_LEASE_MS } from './leases.js';
import type { LeaseHandle } from './leases.js';
import { MOVED_FILE, STORE_DIRS, storePaths } from './paths.js';
import type { StorePaths } from './paths.js';
import { removeLeftovers } from './leftovers.js';
import { RefStore } from './refs.js';
import { prepareStoreRoot } from './root.js';
import { asFsError } from '../../../util/fs-problem.js';
import { MovedSchema, StoreVersionSchema } from './schemas.js';
import { toImageSummary } from './summary.js';
import type { Unpacker } from './unpacker.js';

/** The on-disk format version this code reads and writes. */
export const STORE_VERSION = 1;

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Absolute store root (see resolveStoreRoot). */
  root: string;
  /** The layer applier; needed only by operations that unpack layers. */
  unpack?: Unpacker | undefined;
  /** Clock in milliseconds; defaults to Date.now. */
  now?: (() => number) | undefined;
  /** How long to wait for another process's lock; default 120 s. */
  lockTimeoutMs?: number | undefined;
  /** Create the root when missing (default true). */
  create?: boolean | undefined;
  /**
   * Finish what dead processes left (`*-removing`, incomplete layers, stale ingests and scratch
   * dirs) before returning, as containers/storage and moby do on startup (default true).
   */
  recover?: boolean | undefined;
}

/** An open store. */
export interface Store {
  readonly root: string;
  readonly paths: StorePaths;
  readonly ctx: StoreContext;
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  readonly images: ImageStore;
  readonly refs: RefStore;
  /** A lease protecting what an operation writes until it is tagged or released. */
  createLease(purpose: string, ttlMs?: number): Promise<LeaseHandle>;
  /**
   * The summary of an image (tags, size, config fields). It reads the config blob without hashing it
   * again: a summary decides and reports, and whatever is made from an image (a container's root and
   * settings, a commit, a push, an export, a build step) reads the config verified, so a damaged
   * blob is still refused before anything is built on it. Hashing it here loaded node:crypto for
   * every warm `up -d`, ~8 ms of it (docs/hot-paths.md).
   */
  summary(id: string): Promise<ImageSummary>;
}

/** Opens (and by default creates) the store at `options.root`. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  await prepareStoreRoot(options.root, { create: options.create ?? true });
  const paths = storePaths(path.resolve(options.root));
  const moved = await readJsonFile(path.join(paths.root, MOVED_FILE), MovedSchema);
  if (moved.state === 'ok') {
    throw new DevenvError('DEVENV_STORE', `the store at ${paths.root} was moved to ${moved.value.to}`, {
      hint: `Use --root ${moved.value.to}, or set storage to it in the settings file.`,
    });
  }
  for (const dir of STORE_DIRS) {
    const full = path.join(paths.root, dir);
    await mkdir(full, { recursive: true, mode: 0o700 }).catch(async (error: unknown) => {
      throw await asFsError(
        error,
        full,
        `cannot create the store folder ${full}`,
        'check the store with devenv doctor, or choose another --root',
      );
    });
  }
  const versionFile = path.join(paths.root, 'store.json');
  const version = await readJsonFile(versionFile, StoreVersionSchema);
  if (version.state === 'missing') await writeJsonFile(versionFile, { version: STORE_VERSION }, 0o644);
  else if (version.state === 'corrupt' || version.value.version !== STORE_VERSION) {
    throw new DevenvError(
      'DEVENV_STORE',
      `${versionFile} does not describe a version ${STORE_VERSION} store`,
      {
        hint: 'This store was written by another devenv version, or the file is damaged.',
      },
    );
  }
  const ctx = createContext(paths, options.now ?? Date.now, options.lockTimeoutMs ?? 120_000);
  if (options.recover ?? true) await ctx.withStoreLock('recovering', () => removeLeftovers(ctx));
  const blobs = new BlobStore(ctx);
  const layers = new LayerStore(ctx, options.unpack);
  const images = new ImageStore(ctx, blobs, layers);
  const refs = new RefStore(ctx, images);
  return {
    root: paths.root,
    paths,
    ctx,
    blobs,
    layers,
    images,
    refs,
    createLease: (purpose, ttlMs = DEFAULT_LEASE_MS) => createLease(ctx, purpose, ttlMs),
    async summary(id) {
      const record = await images.get(id);
      if (record === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `image ${id} is not in the store`);
      const { config } = await images.config(id, { verify: false });
      let size = 0;
      for (const chainId of chainIdsOf(record.layers.map((layer) => layer.diffId)))
        size += (await layers.get(chainId))?.size ?? 0;
      return toImageSummary(record, config, await refs.tagsOf(id), size);
    },
  };
}
