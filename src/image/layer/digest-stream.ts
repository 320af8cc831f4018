/**
 * A pass-through stream that hashes and counts the uncompressed layer bytes on their way to the tar
 * parser, so the diff ID (image-spec config.md `rootfs.diff_ids`) comes for free while applying, and a
 * decompression bomb stops at the byte cap instead of filling the disk.
 */
import { optimizeFromNow } from '../../util/optimizer.js';
import { createHash } from '../../util/crypto.js';
import { Transform, Writable } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openLayerStream } from './decompress.js';
import { limitError } from './layer-limits.js';

/** A Transform that also knows the sha256 and length of everything that went through it. */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  private count = 0;
  private result: string | undefined;

  /**
   * @param maxBytes stop with a `DEVENV_LIMIT` error once more than this many bytes went through.
   * @param known the digest, when the caller computed it as it wrote these very bytes: they are then
   * counted and capped, not hashed again.
   */
  constructor(
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly known?: string,
  ) {
    super();
    optimizeFromNow();
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** `sha256:<hex>` of all bytes; only valid once the stream has ended. */
  digest(): string {
    if (this.result === undefined) throw new Error('DigestStream.digest() called before the stream ended');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      callback(limitError(`uncompressed size (more than ${this.maxBytes} bytes)`, this.maxBytes));
      return;
    }
    if (this.known === undefined) this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = this.known ?? `sha256:${this.hash.digest('hex')}`;
    callback();
  }
}

/**
 * The diff ID of a layer blob: `sha256:` of its uncompressed bytes, whatever the compression.
 * @returns the digest and the uncompressed size.
 */
export async function computeDiffId(source: Readable): Promise<{ diffId: string; size: number }> {
  const digest = new DigestStream();
  await pipeline(
    openLayerStream(source),
    digest,
    new Writable({
      write: (_chunk, _enc, done) => {
        done();
      },
    }),
  );
  return { diffId: digest.digest(), size: digest.bytes };
}
