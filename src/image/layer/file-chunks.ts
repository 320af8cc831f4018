/**
 * A plain-tar layer file read in place: synchronous reads into a small ring of reused buffers, hashed
 * and counted on the way, for the tar block parser.
 *
 * Why not a read stream: a stream hands out a new buffer per read, and on the virtual machines devenv
 * runs on, the first touch of each page costs ~15 µs, so streaming a 150 MB layer faults ~37,000
 * fresh pages and the parser waits for them (docs/hot-paths.md). Reused buffers are touched once.
 * The reads are synchronous because everything else the extraction does is (its writes, lookups and
 * metadata calls), and the file is the store's own blob, just written and still in the page cache.
 *
 * The price is a shorter life for each chunk: its buffer is read into again {@link RING} reads later.
 * The parser copies whatever it keeps across reads (see ChunkReader.take), and a layer entry's body
 * pieces are written before the next is asked for, as the entry contract already requires.
 */
import { createHash } from '../../util/crypto.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { optimizeFromNow } from '../../util/optimizer.js';
import { limitError } from './layer-limits.js';

/** Buffers in the ring: a chunk stays valid while the next `RING - 1` are read. */
export const RING = 3;

/** Size of each read. */
export const FILE_CHUNK = 1024 * 1024;

/** Options of {@link FileChunks}. */
export interface FileChunksOptions {
  /** Stop with a `DEVENV_LIMIT` error once the file holds more than this many bytes. */
  maxBytes?: number | undefined;
  /**
   * `sha256` (the default) hashes every byte; `known` is a digest the caller computed as it wrote the
   * file, so bytes are counted and capped, not hashed again; `none` is for a reader that needs no
   * digest.
   */
  digest?: 'sha256' | 'none' | { known: string } | undefined;
  /** Bytes per read (tests make it small to cross chunk borders often). */
  chunkSize?: number | undefined;
}

/** The chunks of one file, with the sha256 and length of everything read. */
export class FileChunks implements AsyncIterable<Buffer> {
  private readonly ring: Buffer[] = [];
  private fd: number | undefined;
  private position = 0;
  private reads = 0;
  private readonly hash;
  private readonly maxBytes: number;
  private readonly chunkSize: number;
  private result: string | undefined;

  /** Opens `file` now; it is closed at its end or by {@link destroy}. */
  constructor(
    file: string,
    private readonly options: FileChunksOptions = {},
  ) {
    optimizeFromNow();
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.chunkSize = options.chunkSize ?? FILE_CHUNK;
    this.hash = (options.digest ?? 'sha256') === 'sha256' ? createHash('sha256') : undefined;
    this.fd = openSync(file, 'r');
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.position;
  }

  /** `sha256:<hex>` of the whole file (or the digest it was given); only once the last chunk was read. */
  digest(): string {
    if (this.result === undefined) throw new Error('FileChunks.digest() called before the end of the file');
    return this.result;
  }

  /** Closes the file; safe to call twice, and after the end. */
  destroy(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  /** Reads the next chunk into the ring's next buffer; undefined at the end of the file. */
  private read(): Buffer | undefined {
    if (this.fd === undefined) return undefined;
    const slot = this.reads++ % RING;
    const buffer = (this.ring[slot] ??= Buffer.allocUnsafe(this.chunkSize));
    let length: number;
    try {
      length = readSync(this.fd, buffer, 0, buffer.length, this.position);
    } catch (error) {
      this.destroy();
      throw error;
    }
    if (length === 0) {
      this.destroy();
      const { digest } = this.options;
      if (this.hash !== undefined) this.result = `sha256:${this.hash.digest('hex')}`;
      else this.result = typeof digest === 'object' ? digest.known : '';
      return undefined;
    }
    this.position += length;
    if (this.position > this.maxBytes) {
      this.destroy();
      throw limitError(`uncompressed size (more than ${this.maxBytes} bytes)`, this.maxBytes);
    }
    const chunk = buffer.subarray(0, length);
    this.hash?.update(chunk);
    return chunk;
  }

  /**
   * Each chunk is read in a macrotask of its own: the reads and everything done with a chunk are
   * synchronous, and without a turn of the event loop between chunks a ctrl-c (a signal handler),
   * a timer or a progress line would wait for the whole file.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () =>
        new Promise<IteratorResult<Buffer>>((resolve, reject) => {
          setImmediate(() => {
            try {
              const chunk = this.read();
              resolve(chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk });
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        }),
      return: () => {
        this.destroy();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}
