/**
 * Streaming blob ingest (docs/reliability.md, rule 1; after containerd's content writer): the bytes go to
 * `ingest/<ref>/data` on the store's filesystem while being hashed, are fsynced, checked against the
 * expected size and digest, and only then renamed to `blobs/sha256/<hex>`, followed by an fsync of
 * that directory. A failed ingest removes its directory, so nothing appears under a final name and
 * the same digest can be ingested again.
 */
import { createHash, randomBytes } from '../../../util/crypto.js';
import { chmod, mkdir, open, rename, rm, writeFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { Readable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { syncDir } from '../../../util/atomic.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import type { StoreContext } from './store-context.js';
import { digestHex, digestMismatch } from './digest.js';
import { exists } from './fs-util.js';
import type { LeaseHandle } from './leases.js';
import { currentOwner } from './owner.js';
import { ensureFreeSpace, isNoSpace, noSpaceError } from './space.js';

declareFailpoints('store.blob.mid-write', 'store.blob.after-fsync', 'store.blob.after-rename');

/** What the caller knows about the blob before reading it. */
export interface ExpectedBlob {
  digest?: string | undefined;
  size?: number | undefined;
}

/** Options of an ingest. */
export interface IngestOptions {
  lease?: LeaseHandle | undefined;
  /** Called with the byte count written so far. */
  onProgress?: ((bytes: number) => void) | undefined;
}

/** The result: the blob's digest and size, and whether it was already stored. */
export interface IngestResult {
  digest: string;
  size: number;
  existed: boolean;
}

async function writeStream(file: string, source: Readable, expected: ExpectedBlob, options: IngestOptions) {
  const hash = createHash('sha256');
  let size = 0;
  let failpointDone = false;
  const handle = await open(file, 'wx', 0o600);
  try {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      // Stop reading at the first byte past the promised size instead of filling the disk (R3).
      if (expected.size !== undefined && size > expected.size) {
        throw new DevenvError(
          'DEVENV_DIGEST_MISMATCH',
          `blob ${expected.digest ?? ''} is longer than the ${expected.size} bytes expected`,
        );
      }
      hash.update(buffer);
      await handle.write(buffer);
      options.onProgress?.(size);
      if (!failpointDone) {
        failpointDone = true;
        await failpoint('store.blob.mid-write');
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * Writes what `openSource()` yields as a blob. With `expected.digest` the content must hash to it (and be
 * `expected.size` long when given); without, the digest is computed. Callers deduplicate and lock;
 * see BlobStore.ingest.
 */
export async function ingestStream(
  ctx: StoreContext,
  openSource: () => Readable | Promise<Readable>,
  expected: ExpectedBlob,
  options: IngestOptions,
): Promise<IngestResult> {
  const ref =
    expected.digest === undefined
      ? `anon-${randomBytes(8).toString('hex')}`
      : digestHex(expected.digest, 'blob');
  const dir = path.join(ctx.paths.ingestDir, ref);
  const data = path.join(dir, 'data');
  const target = expected.digest === undefined ? data : ctx.paths.blob(expected.digest);
  try {
    // A directory under this ref is a dead ingest's leftover: the caller holds the ref's lock.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(dir, 'owner.json'), JSON.stringify(await currentOwner(ctx.now(), 'ingest')));
    if (expected.size !== undefined)
      await ensureFreeSpace(ctx.paths.ingestDir, expected.size, `for blob ${expected.digest ?? ref}`);
    // The source opens only after the space check, so a download that cannot fit never starts (D6).
    const written = await writeStream(data, await openSource(), expected, options);
    await failpoint('store.blob.after-fsync');
    if (expected.size !== undefined && written.size !== expected.size) {
      throw new DevenvError(
        'DEVENV_DIGEST_MISMATCH',
        `blob ${expected.digest ?? ''}: size mismatch, expected ${expected.size} bytes, got ${written.size}`,
      );
    }
    if (expected.digest !== undefined && written.digest !== expected.digest) {
      throw digestMismatch(`blob ${expected.digest}`, expected.digest, written.digest);
    }
    // Blobs are immutable once named; dropping write permission catches accidental writes.
    await chmod(data, 0o444);
    const existed = await commitBlobFile(ctx, data, written.digest, options.lease);
    return { ...written, existed };
  } catch (error) {
    if (isNoSpace(error)) throw await noSpaceError(error, 'writing blob', target, expected.size);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Gives a verified, fsynced file its final blob name under the store lock, recording it in the lease
 * first, so a concurrent prune either sees the lease entry or does not see the blob. Returns true when
 * the blob was already there (the file is then left for the caller to remove).
 */
export async function commitBlobFile(
  ctx: StoreContext,
  file: string,
  digest: string,
  lease: LeaseHandle | undefined,
): Promise<boolean> {
  return ctx.withStoreLock('committing a blob', async () => {
    await lease?.add('blobs', [digest]);
    const final = ctx.paths.blob(digest);
    if (await exists(final)) return true;
    await rename(file, final);
    await syncDir(ctx.paths.blobsDir);
    await failpoint('store.blob.after-rename');
    return false;
  });
}
