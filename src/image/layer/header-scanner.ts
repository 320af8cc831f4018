/**
 * A pass-through that reads the raw tar headers a layer's bytes carry, for the two things the shared
 * entry reader cannot give: xattr values as bytes (the entry reader decodes PAX records as UTF-8, which
 * mangles binary values like `security.capability`) and device numbers. It numbers entries exactly
 * as the entry reader's block parser (tar-blocks.ts) does: PAX (`x`, `g`) and GNU long-name (`L`, `K`) headers are not entries, zero
 * blocks are skipped, and a directory's body is never read.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** What the raw headers say about one entry beyond the shared reader's view. */
export interface RawEntryExtras {
  /** `SCHILY.xattr.<name>` records, in archive order, values as raw bytes. */
  xattrs: [string, Buffer][];
  devmajor: number;
  devminor: number;
}

const BLOCK = 512;
const XATTR = 'SCHILY.xattr.';
/** The block parser refuses larger PAX headers anyway; the cap keeps a hostile one from filling memory. */
const MAX_PAX = 4 * 1024 * 1024;

/** Passes a tar stream through unchanged, collecting {@link RawEntryExtras} by entry index. */
export class HeaderScanner extends Transform {
  /** Extras of the entries that have xattrs or are devices, by 0-based entry index. */
  readonly extras = new Map<number, RawEntryExtras>();
  private head = Buffer.alloc(0);
  private skip = 0;
  private collect: Buffer[] | undefined;
  private collectLeft = 0;
  private pax: { xattrs: [string, Buffer][]; size: number | undefined } | undefined;
  private index = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.scan(chunk);
    callback(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        if (this.collect !== undefined && this.collectLeft > 0) {
          const take = Math.min(n, this.collectLeft);
          this.collect.push(chunk.subarray(offset, offset + take));
          this.collectLeft -= take;
        }
        this.skip -= n;
        offset += n;
        if (this.skip === 0 && this.collect !== undefined) this.endPax();
        continue;
      }
      const take = Math.min(BLOCK - this.head.length, chunk.length - offset);
      this.head = Buffer.concat([this.head, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.head.length === BLOCK) {
        const block = this.head;
        this.head = Buffer.alloc(0);
        this.header(block);
      }
    }
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) return;
    const flag = String.fromCharCode(block[156] ?? 0);
    let size = headerSize(block);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (flag === 'x' && size <= MAX_PAX) {
        this.collect = [];
        this.collectLeft = size;
      }
      this.skip = padded(size);
      if (this.skip === 0 && this.collect !== undefined) this.endPax();
      return;
    }
    this.index++;
    if (this.pax?.size !== undefined) size = this.pax.size;
    const devmajor = flag === '3' || flag === '4' ? octal(block, 329, 8) : 0;
    const devminor = flag === '3' || flag === '4' ? octal(block, 337, 8) : 0;
    const xattrs = this.pax?.xattrs ?? [];
    if (xattrs.length > 0 || devmajor !== 0 || devminor !== 0)
      this.extras.set(this.index, { xattrs, devmajor, devminor });
    this.pax = undefined;
    this.skip = flag === '5' ? 0 : padded(size);
  }

  private endPax(): void {
    const body = Buffer.concat(this.collect ?? []);
    this.collect = undefined;
    const pax: NonNullable<HeaderScanner['pax']> = { xattrs: [], size: undefined };
    for (const [key, value] of parsePax(body)) {
      if (key.startsWith(XATTR)) pax.xattrs.push([key.slice(XATTR.length), value]);
      else if (key === 'size' && /^\d+$/.test(value.toString('ascii')))
        pax.size = Number(value.toString('ascii'));
    }
    this.pax = pax;
  }
}

/** The records of a PAX body; parsing stops at the first malformed one, as the block parser's does. */
function parsePax(body: Buffer): [string, Buffer][] {
  const records: [string, Buffer][] = [];
  for (let at = 0; at < body.length;) {
    const space = body.indexOf(0x20, at);
    const length = space < 0 ? 0 : Number(body.toString('ascii', at, space));
    if (!Number.isInteger(length) || length <= 0 || at + length > body.length) break;
    const text = body.subarray(space + 1, at + length - 1);
    const equals = text.indexOf(0x3d);
    if (equals < 0) break;
    records.push([text.toString('utf8', 0, equals), Buffer.from(text.subarray(equals + 1))]);
    at += length;
  }
  return records;
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** The size field: octal, or GNU base-256 when its top bit is set (negative sizes read as 0). */
function headerSize(block: Buffer): number {
  const first = block[124] ?? 0;
  if ((first & 0x80) === 0) return octal(block, 124, 12);
  if (first === 0xff) return 0;
  let value = first & 0x7f;
  for (let i = 125; i < 136; i++) value = value * 256 + (block[i] ?? 0);
  return value;
}

function octal(block: Buffer, offset: number, width: number): number {
  const text = block
    .toString('ascii', offset, offset + width)
    .replace(/^[\0 ]+/, '')
    .replace(/[\0 ][\s\S]*$/, '');
  const value = Number.parseInt(text, 8);
  return Number.isNaN(value) ? 0 : value;
}
