/**
 * Hand-made tar blocks for inputs tar-stream's packer refuses to produce: unknown typeflags (GNU sparse
 * `S`, PAX global `g`), bad checksums, negative device numbers.
 */

/** Options for one raw header; numeric fields are written as octal unless given as raw bytes. */
export interface RawHeaderOptions {
  name: string;
  typeflag: string;
  size?: number;
  mode?: number;
  linkname?: string;
  /** Raw 8 bytes for the devmajor field (base-256 encodings). */
  devmajor?: Buffer;
  /** Add this to the computed checksum to corrupt it. */
  checksumDelta?: number;
}

/** A 512-byte ustar header with a valid (or deliberately corrupted) checksum. */
export function rawHeader(options: RawHeaderOptions): Buffer {
  const block = Buffer.alloc(512);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';
  block.write(options.name, 0, 100, 'utf8');
  block.write(octal(options.mode ?? 0o644, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(options.size ?? 0, 12), 124);
  block.write(octal(1_700_000_000, 12), 136);
  block.write(options.typeflag, 156);
  if (options.linkname !== undefined) block.write(options.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257);
  block.write('00', 263);
  if (options.devmajor !== undefined) options.devmajor.copy(block, 329);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum + (options.checksumDelta ?? 0), 7) + ' ', 148);
  return block;
}

/** A header followed by `body`, padded to whole 512-byte blocks. */
export function rawEntry(options: Omit<RawHeaderOptions, 'size'>, body: Buffer | string = ''): Buffer {
  const data = Buffer.from(body);
  const padding = (512 - (data.length % 512)) % 512;
  return Buffer.concat([rawHeader({ ...options, size: data.length }), data, Buffer.alloc(padding)]);
}

/** A PAX extended header (`x`, or `g` for global) with the given records. */
export function paxEntry(records: Record<string, string>, typeflag: 'x' | 'g' = 'x'): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const record = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(record) + 1;
    while (String(length).length + Buffer.byteLength(record) !== length) length++;
    body += `${length}${record}`;
  }
  return rawEntry({ name: 'PaxHeader', typeflag }, body);
}

/** The two zero blocks that end an archive. */
export const END = Buffer.alloc(1024);
