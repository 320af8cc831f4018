/**
 * Image records: `images/<config-hex>.json`. The config is stored byte-exact as a blob, so the image
 * ID is the sha256 of those bytes, as Docker computes it (docs/image-formats.md#ids). A record is written only
 * after its config blob and every layer of its chain are stored, so no record points at a missing
 * layer (docs/reliability.md, C2).
 */
import { rm } from '../../../util/fs-async.js';
import { DevenvError } from '../../../errors.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import type { BlobStore } from './blobs.js';
import { chainIdsOf } from './chain-id.js';
import type { StoreContext } from './store-context.js';
import { exists, listDir } from './fs-util.js';
import { readJsonOrThrow, writeJsonFile } from './json-file.js';
import type { LayerStore } from './layers.js';
import type { LeaseHandle } from './leases.js';
import { parseImageConfig } from '../../../image/oci/image-config.js';
import type { ImageConfig } from '../../../image/oci/image-config.js';
import { ImageRecordSchema } from './schemas.js';
import type { Descriptor, ImageRecord } from './schemas.js';

declareFailpoints('store.image.before-write');

/** What makes an image: exact config bytes and the blobs of its layers, bottom first. */
export interface PutImageInput {
  config: Uint8Array;
  layers: readonly Descriptor[];
  manifestDigests?: readonly string[] | undefined;
  repoDigests?: readonly string[] | undefined;
  lease?: LeaseHandle | undefined;
}

function union(a: readonly string[], b: readonly string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])].sort();
}

/** Image operations of one store. */
export class ImageStore {
  readonly #ctx: StoreContext;
  readonly #blobs: BlobStore;
  readonly #layers: LayerStore;

  constructor(ctx: StoreContext, blobs: BlobStore, layers: LayerStore) {
    this.#ctx = ctx;
    this.#blobs = blobs;
    this.#layers = layers;
  }

  /** The record, or undefined when no such image is stored (a corrupt record throws). */
  async get(id: string): Promise<ImageRecord | undefined> {
    const file = this.#ctx.paths.image(id);
    if (!(await exists(file))) return undefined;
    return readJsonOrThrow(file, ImageRecordSchema, `image ${id}`);
  }

  /** IDs of every stored image. */
  async list(): Promise<string[]> {
    return (await listDir(this.#ctx.paths.imagesDir))
      .filter((n) => /^[a-f0-9]{64}\.json$/.test(n))
      .map((n) => `sha256:${n.slice(0, 64)}`);
  }

  /**
   * The config's exact bytes and the parts the store reads. The bytes are re-verified against the ID
   * unless `verify` is false, which only a report may ask (see {@link Store.summary}).
   */
  async config(
    id: string,
    options: { verify?: boolean } = {},
  ): Promise<{ bytes: Buffer; config: ImageConfig }> {
    const bytes = await this.#blobs.read(id, { verify: options.verify !== false });
    return { bytes, config: parseImageConfig(bytes, `config of image ${id}`) };
  }

  /**
   * Stores the config blob and the image record. Every layer's chain must already be stored; the
   * record merges manifest and repo digests with an existing record of the same ID.
   */
  async put(input: PutImageInput): Promise<ImageRecord> {
    const config = parseImageConfig(input.config, 'image config');
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== input.layers.length) {
      throw new DevenvError(
        'DEVENV_STORE',
        `the image config lists ${diffIds.length} diff IDs but ${input.layers.length} layers were given`,
      );
    }
    const { digest: id } = await this.#blobs.write(input.config, { lease: input.lease });
    // One store lock for the whole chain (retain is re-entrant under it): a lock is a helper
    // process, and a built image's chain is long.
    await this.#ctx.withStoreLock('retaining the layers of an image', async () => {
      for (const [index, chainId] of chainIdsOf(diffIds).entries()) {
        if (!(await this.#layers.retain(chainId, input.lease))) {
          throw new DevenvError(
            'DEVENV_STORE',
            `layer ${index} of image ${id} (chain ${chainId}) is not stored`,
          );
        }
      }
    });
    await failpoint('store.image.before-write');
    return this.#ctx.withStoreLock('writing an image record', async () => {
      await input.lease?.add('images', [id]);
      const previous = await this.get(id);
      const record: ImageRecord = {
        id,
        layers: input.layers.map((layer, index) => ({ ...layer, diffId: diffIds[index] ?? '' })),
        manifestDigests: union(previous?.manifestDigests ?? [], input.manifestDigests),
        repoDigests: union(previous?.repoDigests ?? [], input.repoDigests),
        ...(config.created === undefined ? {} : { created: config.created }),
        addedAt: previous?.addedAt ?? new Date(this.#ctx.now()).toISOString(),
      };
      await writeJsonFile(this.#ctx.paths.image(id), record, 0o644);
      return record;
    });
  }

  /** Deletes the record (its blobs and layers stay until prune finds them unused). */
  async remove(id: string): Promise<void> {
    await this.#ctx.withStoreLock('removing an image', () => rm(this.#ctx.paths.image(id), { force: true }));
  }
}
