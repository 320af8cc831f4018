/**
 * The content-addressed blob store: `blobs/sha256/<hex>`, written only through verified ingest and
 * re-verified on read when asked (moby image/fs.go "failed to verify").
 */
import { createHash } from '../../../util/crypto.js';
import { createReadStream } from 'node:fs';
import { chmod, lstat, open, rm } from '../../../util/fs-async.js';
import { Readable, Transform } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import type { StoreContext } from './store-context.js';
import { digestHex, digestMismatch, hashFile } from './digest.js';
import { exists, listDir } from './fs-util.js';
import { commitBlobFile, ingestStream } from './ingest.js';
import type { ExpectedBlob, IngestOptions, IngestResult } from './ingest.js';
import { readCapped } from '../../../util/read-capped.js';
import { MAX_JSON_BYTES } from './json-file.js';
import type { LeaseHandle } from './leases.js';
import { withLock } from '../../../util/lock.js';
import { FILE_READ_CHUNK } from '../../../util/read-chunk.js';

function corruptBlob(digest: string, actual: string): DevenvError {
  return new DevenvError(
    'DEVENV_DIGEST_MISMATCH',
    `stored blob ${digest} failed to verify: its content hashes to ${actual}`,
    { hint: 'The store is damaged; run "devenv doctor --repair", then pull or load the image again.' },
  );
}

/** Blob operations of one store. */
export class BlobStore {
  readonly #ctx: StoreContext;
  /** In-flight ingests of this process by digest, so the same blob is fetched once (K4). */
  readonly #inflight = new Map<string, Promise<IngestResult>>();

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The blob's path; throws DEVENV_DIGEST_MISMATCH on a malformed digest. */
  path(digest: string): string {
    return this.#ctx.paths.blob(digest);
  }

  /** True when the blob is stored. */
  async has(digest: string): Promise<boolean> {
    return exists(this.path(digest));
  }

  /** Size in bytes, or undefined when absent. */
  async size(digest: string): Promise<number | undefined> {
    const info = await lstat(this.path(digest)).catch(() => undefined);
    return info?.size;
  }

  /**
   * Records an already stored blob in `lease` under the store lock and confirms it is still there
   * (a prune may have run since the caller looked). Returns false when it is gone.
   */
  async retain(digest: string, lease: LeaseHandle | undefined): Promise<boolean> {
    return this.#ctx.withStoreLock('retaining a blob', async () => {
      await lease?.add('blobs', [digest]);
      return this.has(digest);
    });
  }

  /**
   * Stores the blob `expected.digest`, reading `openSource()` only when it is not stored yet.
   * Concurrent ingests of one digest, in this process or others, do the work once: the others wait
   * and reuse the result. A failed ingest leaves nothing behind and may be retried.
   */
  async ingest(
    expected: ExpectedBlob & { digest: string },
    openSource: () => Readable | Promise<Readable>,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    digestHex(expected.digest, 'blob');
    for (;;) {
      const running = this.#inflight.get(expected.digest);
      if (running === undefined) break;
      const outcome = await running.catch(() => undefined);
      if (outcome !== undefined && (await this.retain(expected.digest, options.lease)))
        return { ...outcome, existed: true };
    }
    // Removed from the map before anyone sees it settle, so a waiter that retries after a failure
    // starts its own ingest instead of finding the failed one again.
    const work = this.#ingestOnce(expected, openSource, options).finally(() =>
      this.#inflight.delete(expected.digest),
    );
    this.#inflight.set(expected.digest, work);
    return work;
  }

  async #ingestOnce(
    expected: ExpectedBlob & { digest: string },
    openSource: () => Readable | Promise<Readable>,
    options: IngestOptions,
  ): Promise<IngestResult> {
    const size = await this.size(expected.digest);
    if (size !== undefined && (await this.retain(expected.digest, options.lease)))
      return { digest: expected.digest, size, existed: true };
    const lock = this.#ctx.paths.ingestLock(expected.digest);
    return withLock(
      lock,
      { timeoutMs: this.#ctx.lockTimeoutMs, purpose: `ingesting ${expected.digest}` },
      async () => {
        const stored = await this.size(expected.digest);
        if (stored !== undefined && (await this.retain(expected.digest, options.lease)))
          return { digest: expected.digest, size: stored, existed: true };
        return ingestStream(this.#ctx, openSource, expected, options);
      },
    );
  }

  /**
   * Stores a stream whose digest is not known in advance (a layer being committed), computing it.
   * Nothing deduplicates such ingests; the rename is idempotent because the name is the content's.
   */
  async writeStream(
    openSource: () => Readable | Promise<Readable>,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    return ingestStream(this.#ctx, openSource, {}, options);
  }

  /** Stores bytes held in memory (configs, manifests); returns the digest. */
  async write(bytes: Uint8Array, options: { lease?: LeaseHandle | undefined } = {}): Promise<IngestResult> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return this.ingest({ digest, size: bytes.length }, () => Readable.from([Buffer.from(bytes)]), options);
  }

  /**
   * Moves `file` (on the store's filesystem, such as an archive extracted under tmp/) into the store
   * after hashing and fsyncing it; it must match `expected`. The file is consumed either way.
   * `hashed` is the digest and size the caller computed of the very bytes it wrote to `file` (a
   * scratch file of its own): given, the file is not read again.
   */
  async adopt(
    file: string,
    expected: ExpectedBlob & { digest: string },
    lease?: LeaseHandle,
    hashed?: { digest: string; size: number },
  ): Promise<IngestResult> {
    try {
      const actual = hashed ?? (await hashFile(file));
      if (expected.size !== undefined && actual.size !== expected.size) {
        throw new DevenvError(
          'DEVENV_DIGEST_MISMATCH',
          `blob ${expected.digest}: size mismatch, expected ${expected.size} bytes, got ${actual.size}`,
        );
      }
      if (actual.digest !== expected.digest)
        throw digestMismatch(`blob ${expected.digest}`, expected.digest, actual.digest);
      // The rename that follows must not publish data still only in the page cache (C9).
      const handle = await open(file, 'r');
      await handle.sync().finally(() => handle.close());
      await chmod(file, 0o444);
      const existed = await commitBlobFile(this.#ctx, file, actual.digest, lease);
      return { ...actual, existed };
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Reads a small blob whole (at most `maxBytes`), verifying its digest unless told not to. */
  async read(digest: string, options: { maxBytes?: number; verify?: boolean } = {}): Promise<Buffer> {
    const bytes = await readCapped(this.path(digest), options.maxBytes ?? MAX_JSON_BYTES);
    if (options.verify !== false) {
      const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (actual !== digest) throw corruptBlob(digest, actual);
    }
    return bytes;
  }

  /** A stream of the blob; with `verify` the stream fails at its end when the content does not match. */
  openRead(digest: string, options: { verify?: boolean } = {}): Readable {
    const source = createReadStream(this.path(digest), { highWaterMark: FILE_READ_CHUNK });
    if (options.verify === false) return source;
    const hash = createHash('sha256');
    const checker = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        const actual = `sha256:${hash.digest('hex')}`;
        callback(actual === digest ? null : corruptBlob(digest, actual));
      },
    });
    source.on('error', (error) => checker.destroy(error));
    return source.pipe(checker);
  }

  /** True when the stored content hashes to its name. */
  async verify(digest: string): Promise<boolean> {
    return (await hashFile(this.path(digest))).digest === digest;
  }

  /** Digests of every stored blob with a well-formed name. */
  async list(): Promise<string[]> {
    return (await listDir(this.#ctx.paths.blobsDir))
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }
}
