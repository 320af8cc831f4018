/**
 * A small deterministic tar writer for layers. tar-stream's packer cannot carry what a faithful layer
 * needs: it turns mode 0 into 0644, clamps owners above 0o777777, and writes PAX values as UTF-8
 * text, which corrupts binary xattrs such as `security.capability`. Here every field that does not
 * fit the ustar header goes into a PAX record as raw bytes, as Go's archive/tar (Docker's writer) does.
 */
import { optimizeFromNow } from '../../util/optimizer.js';
import { createHash } from '../../util/crypto.js';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { invalidLayer, limitError } from './layer-limits.js';
import { paxRecords, ustarHeader } from './tar-header.js';
import type { TarHeader } from './tar-header.js';

const BLOCK = 512;
const ZEROS = Buffer.alloc(2 * BLOCK);

/** Writes tar entries to a stream, hashing and counting every byte on the way. */
export class TarWriter {
  private readonly hash = createHash('sha256');
  private count = 0;
  private written = 0;

  /**
   * @param output receives the archive; its backpressure is honoured.
   * @param maxBytes a `DEVENV_LIMIT` error once the archive would grow beyond this.
   */
  constructor(
    private readonly output: Writable,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    optimizeFromNow();
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.count;
  }

  /** Entries written so far (PAX headers not counted). */
  get entries(): number {
    return this.written;
  }

  /**
   * Writes one entry. A regular file needs `body`, which must yield exactly `header.size` bytes;
   * every other type is header-only.
   */
  async add(header: TarHeader, body?: AsyncIterable<Buffer>): Promise<void> {
    const pax = paxRecords(header);
    if (pax !== undefined) {
      await this.push(ustarHeader({ name: 'PaxHeader', type: 'pax', mode: 0o644, size: pax.length }));
      await this.push(pax);
      await this.pad(pax.length);
    }
    await this.push(ustarHeader(header));
    this.written++;
    if (header.type !== 'file') return;
    let seen = 0;
    for await (const chunk of body ?? []) {
      seen += chunk.length;
      if (seen > header.size) break;
      await this.push(chunk);
    }
    if (seen !== header.size)
      throw invalidLayer(`${header.name}: its content is ${seen} bytes, its header says ${header.size}`);
    await this.pad(seen);
  }

  /** Writes the end-of-archive blocks and ends `output`; resolves with the archive's `sha256:` digest. */
  async finish(): Promise<string> {
    await this.push(ZEROS);
    this.output.end();
    if (!this.output.writableFinished) await once(this.output, 'finish');
    return `sha256:${this.hash.digest('hex')}`;
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest !== 0) await this.push(ZEROS.subarray(0, BLOCK - rest));
  }

  private async push(chunk: Buffer): Promise<void> {
    this.count += chunk.length;
    if (this.count > this.maxBytes)
      throw limitError(`squashed layer size (more than ${this.maxBytes} bytes)`, this.maxBytes);
    this.hash.update(chunk);
    // once() rejects when the stream errors while we wait, so a dead consumer cannot hang us.
    if (!this.output.write(chunk)) await once(this.output, 'drain');
  }
}
