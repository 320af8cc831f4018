/**
 * Unpacked layers keyed by chain ID (docs/architecture.md#embedded-store-layout). A layer is built in
 * `layers/incomplete-<rand>/`, whose owner record is written first, unpacked there by the injected
 * {@link Unpacker}, flushed, and renamed to `layers/<chain-hex>/` only when complete, so a crash never
 * leaves a half-unpacked layer under a final name (docs/reliability.md, rule 3, C1, D2). Deletion
 * renames to `<hex>-removing-<rand>` first, so a crash mid-delete leaves a name nothing refers to (C7).
 */
import { randomBytes } from '../../../util/crypto.js';
import { mkdir, readFile, rename, rm, symlink, unlink } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { promisify } from 'node:util';
import { DevenvError } from '../../../errors.js';
import { syncDir, syncFile, writeFileAtomic } from '../../../util/atomic.js';
import { childProcess } from '../../../util/child-process.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import { chainIdOf } from './chain-id.js';
import type { StoreContext } from './store-context.js';
import { digestHex } from './digest.js';
import { exists, listDir } from './fs-util.js';
import { readJsonOrThrow, writeJsonFile } from './json-file.js';
import type { LeaseHandle } from './leases.js';
import { currentOwner } from './owner.js';
import { LayerRecordSchema } from './schemas.js';
import type { Descriptor, LayerRecord } from './schemas.js';
import { isNoSpace, noSpaceError } from './space.js';
import type { Unpacker } from './unpacker.js';

declareFailpoints(
  'store.layer.after-unpack',
  'store.layer.before-commit',
  'store.layer.after-commit',
  'store.layer.mid-remove',
);

/** Runs a host tool to completion (child_process loads on the first call: util/child-process.ts). */
function run(file: string, args: readonly string[]): Promise<unknown> {
  return promisify(childProcess().execFile)(file, args);
}
/** Prefix of layers being built; never a valid chain-ID name. */
export const INCOMPLETE_PREFIX = 'incomplete-';
/** Infix of layers being deleted. */
export const REMOVING_INFIX = '-removing-';
/** The deepest chain accepted (the kernel's overlay limit is 500 lowerdirs). */
export const MAX_CHAIN_DEPTH = 500;

/** A fresh short link name: 26 base32 characters, like moby overlay2's, so 128 lowerdirs fit in a page. */
export function shortLinkName(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

/** What to build: a stored blob on top of an existing chain. */
export interface CreateLayerInput {
  /** Chain ID of the layer below; undefined for a base layer. */
  parent: string | undefined;
  /** The stored blob to unpack. */
  blob: Descriptor;
  /** The diff ID the image config promises; a different result is refused. */
  expectedDiffId?: string | undefined;
  /**
   * The blob is a plain tar that this process just stored, hashing it on the way (so its digest is
   * its diff ID): the unpack counts its bytes without hashing them again. A blob that turns out to
   * be compressed is refused.
   */
  hashedPlainTar?: boolean | undefined;
  /**
   * Unpack this file instead of the stored blob: a copy of the blob's bytes, already hashed and
   * matching `blob.digest`, that `store` puts in the blob store. `store` is called before the layer
   * is published (or found already stored), so a layer never lands before its blob. The copy is
   * flushed to disk while the layer unpacks: started just before, when no other fsync follows
   * until the unpack ends (on ext4, an fsync of anything would wait for that flush).
   */
  source?: { file: string; store: () => Promise<void> } | undefined;
  lease?: LeaseHandle | undefined;
}

/** Layer operations of one store. */
export class LayerStore {
  readonly #ctx: StoreContext;
  readonly #unpack: Unpacker | undefined;

  constructor(ctx: StoreContext, unpack: Unpacker | undefined) {
    this.#ctx = ctx;
    this.#unpack = unpack;
  }

  /**
   * Gets the unpacker ready (its code loaded, the layer mode chosen) in the background, for a caller
   * that knows a layer will be unpacked soon; a failure shows again at that unpack.
   */
  warm(): void {
    this.#unpack?.warm?.().catch(() => undefined);
  }

  /** `layers/<hex>/diff`. */
  diffDir(chainId: string): string {
    return path.join(this.#ctx.paths.layer(chainId), 'diff');
  }

  /** The layer's record, or undefined when it is not stored (a corrupt record throws). */
  async get(chainId: string): Promise<LayerRecord | undefined> {
    const file = path.join(this.#ctx.paths.layer(chainId), 'layer.json');
    if (!(await exists(file))) return undefined;
    return readJsonOrThrow(file, LayerRecordSchema, `layer ${chainId}`);
  }

  /** Chain IDs of every complete layer. */
  async list(): Promise<string[]> {
    return (await listDir(this.#ctx.paths.layersDir))
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /** The chain from `chainId` down to the base, top first; throws when a link is missing. */
  async chain(chainId: string): Promise<LayerRecord[]> {
    const records: LayerRecord[] = [];
    for (let id: string | null = chainId; id !== null; id = records[records.length - 1]?.parent ?? null) {
      const record = await this.get(id);
      if (record === undefined) {
        throw new DevenvError('DEVENV_STORE', `layer ${id} is missing from the store`, {
          hint: 'Run "devenv doctor --repair", then pull or load the image again.',
        });
      }
      if (records.length >= MAX_CHAIN_DEPTH)
        throw new DevenvError('DEVENV_LIMIT', `layer ${chainId} has more than ${MAX_CHAIN_DEPTH} parents`);
      records.push(record);
    }
    return records;
  }

  /** Short `l/<name>` names of the chain, top first, for overlay lowerdir options (docs/embedded-runtime.md#overlay-mounts). */
  async lowerLinks(chainId: string): Promise<string[]> {
    const names: string[] = [];
    for (const record of await this.chain(chainId)) {
      const link = await readFile(path.join(this.#ctx.paths.layer(record.chainId), 'link'), 'utf8');
      names.push(path.join('l', link.trim()));
    }
    return names;
  }

  /** Records an existing layer in `lease` under the store lock; false when the layer is gone. */
  async retain(chainId: string, lease: LeaseHandle | undefined): Promise<boolean> {
    return this.#ctx.withStoreLock('retaining a layer', async () => {
      await lease?.add('layers', [chainId]);
      return exists(path.join(this.#ctx.paths.layer(chainId), 'layer.json'));
    });
  }

  /**
   * Builds the layer of `input.blob` on `input.parent` through the unpacker, or reuses it when its
   * chain ID (known from `expectedDiffId`) is already stored. Returns its record.
   */
  async create(input: CreateLayerInput): Promise<LayerRecord> {
    if (input.parent !== undefined && (await this.get(input.parent)) === undefined) {
      throw new DevenvError(
        'DEVENV_STORE',
        `cannot add a layer on ${input.parent}: that layer is not stored`,
      );
    }
    if (input.expectedDiffId !== undefined) {
      digestHex(input.expectedDiffId, 'diff ID');
      const chainId = chainIdOf(input.parent, input.expectedDiffId);
      if (await this.retain(chainId, input.lease)) {
        await input.source?.store();
        return this.#addBlob(chainId, input.blob);
      }
    }
    const unpack = this.#unpack;
    if (unpack === undefined) throw new Error('this store was opened without a layer unpacker');
    const temp = path.join(
      this.#ctx.paths.layersDir,
      `${INCOMPLETE_PREFIX}${randomBytes(8).toString('hex')}`,
    );
    try {
      await mkdir(temp, { mode: 0o700 });
      // The "incomplete" record comes first: whoever finds this directory can tell whose it is.
      await writeJsonFile(
        path.join(temp, 'owner.json'),
        await currentOwner(this.#ctx.now(), 'unpacking a layer'),
      );
      await mkdir(path.join(temp, 'diff'), { mode: 0o755 });
      const parents =
        input.parent === undefined
          ? []
          : (await this.chain(input.parent)).map((r) => this.diffDir(r.chainId));
      const flushing = input.source === undefined ? undefined : syncFile(input.source.file);
      flushing?.catch(() => undefined);
      const result = await unpack({
        blobPath: input.source?.file ?? this.#ctx.paths.blob(input.blob.digest),
        diffDir: path.join(temp, 'diff'),
        parentDiffDirs: parents,
        knownDiffId: input.hashedPlainTar === true ? input.blob.digest : undefined,
      });
      digestHex(result.diffId, `diff ID of layer ${input.blob.digest}`);
      await failpoint('store.layer.after-unpack');
      if (input.expectedDiffId !== undefined && result.diffId !== input.expectedDiffId) {
        throw new DevenvError(
          'DEVENV_DIGEST_MISMATCH',
          `invalid diffID for layer ${input.blob.digest}: expected ${input.expectedDiffId}, got ${result.diffId}`,
        );
      }
      const chainId = chainIdOf(input.parent, result.diffId);
      const record: LayerRecord = {
        diffId: result.diffId,
        chainId,
        parent: input.parent ?? null,
        size: result.size,
        blobs: [input.blob],
      };
      const link = shortLinkName();
      await writeFileAtomic(path.join(temp, 'link'), link);
      await writeJsonFile(path.join(temp, 'layer.json'), record, 0o644);
      await flushing;
      await input.source?.store();
      // The unpacked files are not fsynced one by one; one syncfs makes them durable before the rename.
      await run('sync', ['-f', temp]);
      await failpoint('store.layer.before-commit');
      return (await this.#commit(temp, record, link, input.lease))
        ? record
        : await this.#addBlob(chainId, input.blob);
    } catch (error) {
      if (isNoSpace(error))
        throw await noSpaceError(error, `unpacking layer ${input.blob.digest} into`, temp);
      throw error;
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /** Renames the finished temp dir into place; false when another process stored the layer first. */
  async #commit(
    temp: string,
    record: LayerRecord,
    link: string,
    lease: LeaseHandle | undefined,
  ): Promise<boolean> {
    const final = this.#ctx.paths.layer(record.chainId);
    return this.#ctx.withStoreLock('committing a layer', async () => {
      await lease?.add('layers', [record.chainId]);
      if (await exists(final)) return false;
      await symlink(
        path.join('..', 'layers', path.basename(final), 'diff'),
        path.join(this.#ctx.paths.linksDir, link),
      );
      await rename(temp, final);
      await syncDir(this.#ctx.paths.layersDir);
      await syncDir(this.#ctx.paths.linksDir);
      await failpoint('store.layer.after-commit');
      return true;
    });
  }

  /** Adds another blob whose uncompressed content is this layer's diff (another compression of it). */
  async #addBlob(chainId: string, blob: Descriptor): Promise<LayerRecord> {
    return this.#ctx.withStoreLock('updating a layer', async () => {
      const record = await this.get(chainId);
      if (record === undefined)
        throw new DevenvError('DEVENV_STORE', `layer ${chainId} disappeared while in use`);
      if (record.blobs.some((b) => b.digest === blob.digest)) return record;
      const updated = { ...record, blobs: [...record.blobs, blob] };
      await writeJsonFile(path.join(this.#ctx.paths.layer(chainId), 'layer.json'), updated, 0o644);
      return updated;
    });
  }

  /**
   * First step of a deletion: renames the layer to `<hex>-removing-<rand>` under the store lock, one
   * atomic step after which nothing finds it. Returns that path (undefined when the layer was not
   * there); {@link removeLayerLeftover} finishes the job outside the lock.
   */
  async detach(chainId: string): Promise<string | undefined> {
    const final = this.#ctx.paths.layer(chainId);
    const doomed = `${final}${REMOVING_INFIX}${randomBytes(4).toString('hex')}`;
    return this.#ctx.withStoreLock('removing a layer', async () => {
      if (!(await exists(final))) return undefined;
      await rename(final, doomed);
      await syncDir(this.#ctx.paths.layersDir);
      return doomed;
    });
  }

  /** Deletes a layer (see {@link detach}); a crash midway leaves a `-removing-` leftover. */
  async remove(chainId: string): Promise<void> {
    const doomed = await this.detach(chainId);
    if (doomed === undefined) return;
    await failpoint('store.layer.mid-remove');
    await removeLayerLeftover(this.#ctx, doomed);
  }
}

/** Removes a `-removing-` or `incomplete-` layer directory and the short link pointing into it. */
export async function removeLayerLeftover(ctx: StoreContext, dir: string): Promise<void> {
  const link = (await readFile(path.join(dir, 'link'), 'utf8').catch(() => '')).trim();
  if (/^[A-Z2-7]{26}$/.test(link)) await unlink(path.join(ctx.paths.linksDir, link)).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
