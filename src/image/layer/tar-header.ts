/**
 * Encoding of one tar header (POSIX ustar) and, for what ustar cannot hold, its PAX extended header:
 * long names and link targets, owners above 0o7777777, times before 1970, and xattrs with raw byte
 * values (`SCHILY.xattr.*`, the form Docker and Go read and write).
 */

/** Entry types the layer writer emits; `pax` is the extended header itself. */
export type TarType =
  'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo' | 'pax';

/** One entry's header. `name` is the full path; directories get their trailing `/` here. */
export interface TarHeader {
  name: string;
  type: TarType;
  /** Permission bits, setuid, setgid and sticky (`& 0o7777`). */
  mode: number;
  uid?: number | undefined;
  gid?: number | undefined;
  mtime?: Date | undefined;
  /** Body length; only regular files and PAX headers have one. */
  size: number;
  /** Symlink target, or the hardlink's target path. */
  linkname?: string | undefined;
  devmajor?: number | undefined;
  devminor?: number | undefined;
  /** Extended attributes as name → raw value. */
  xattrs?: readonly (readonly [string, Buffer])[] | undefined;
}

const TYPEFLAGS: Record<TarType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
  pax: 'x',
};

/** Largest value of an octal field `width` bytes wide (the last byte is a NUL). */
const fits = (value: number, width: number) => value >= 0 && value < 8 ** (width - 1);

/** The ustar name/prefix split of `name`, or undefined when it needs a PAX `path` record. */
function splitName(name: Buffer): { name: Buffer; prefix: Buffer } | undefined {
  if (name.length <= 100) return { name, prefix: Buffer.alloc(0) };
  for (let slash = name.indexOf(0x2f); slash >= 0; slash = name.indexOf(0x2f, slash + 1)) {
    if (slash > 155) break;
    const rest = name.length - slash - 1;
    if (slash > 0 && rest > 0 && rest <= 100)
      return { name: name.subarray(slash + 1), prefix: name.subarray(0, slash) };
  }
  return undefined;
}

function fullName(header: TarHeader): string {
  return header.type === 'directory' && !header.name.endsWith('/') ? `${header.name}/` : header.name;
}

/** The PAX record body `header` needs, or undefined when ustar holds everything. */
export function paxRecords(header: TarHeader): Buffer | undefined {
  const records: [string, Buffer][] = [];
  const name = Buffer.from(fullName(header));
  if (splitName(name) === undefined) records.push(['path', name]);
  if (header.linkname !== undefined && Buffer.byteLength(header.linkname) > 100)
    records.push(['linkpath', Buffer.from(header.linkname)]);
  for (const key of ['uid', 'gid'] as const) {
    const value = header[key] ?? 0;
    if (!fits(value, 8)) records.push([key, Buffer.from(String(value))]);
  }
  const seconds = Math.floor((header.mtime?.getTime() ?? 0) / 1000);
  if (!fits(seconds, 12)) records.push(['mtime', Buffer.from(String(seconds))]);
  for (const [key, value] of header.xattrs ?? []) records.push([`SCHILY.xattr.${key}`, value]);
  if (records.length === 0) return undefined;
  return Buffer.concat(records.map(([key, value]) => record(key, value)));
}

/** `"<len> <key>=<value>\n"`, where `<len>` counts the whole record including its own digits. */
function record(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = fits(value, width) ? value.toString(8).padStart(width - 1, '0') : '0'.repeat(width - 1);
  block.write(`${digits}\0`, offset, 'ascii');
}

/** A size that octal cannot hold (8 GiB and more) in GNU base-256 form, which Go and tar-stream read. */
function size(block: Buffer, value: number): void {
  if (fits(value, 12)) {
    octal(block, 124, 12, value);
    return;
  }
  block[124] = 0x80;
  for (let i = 135, rest = value; i > 124; i--, rest = Math.floor(rest / 256)) block[i] = rest % 256;
}

/** The 512-byte ustar header block; fields that do not fit are zero here and carried by PAX. */
export function ustarHeader(header: TarHeader): Buffer {
  const block = Buffer.alloc(512);
  const split = splitName(Buffer.from(fullName(header)));
  // With a PAX path the ustar name is only a fallback for old readers; keep it in bounds.
  const name = split?.name ?? Buffer.from(fullName(header)).subarray(-100);
  name.copy(block, 0);
  split?.prefix.copy(block, 345);
  octal(block, 100, 8, header.mode & 0o7777);
  octal(block, 108, 8, header.uid ?? 0);
  octal(block, 116, 8, header.gid ?? 0);
  size(block, header.size);
  octal(block, 136, 12, Math.floor((header.mtime?.getTime() ?? 0) / 1000));
  block.write(TYPEFLAGS[header.type], 156, 'ascii');
  const link = Buffer.from(header.linkname ?? '');
  link.subarray(0, 100).copy(block, 157);
  block.write('ustar\x0000', 257, 'binary');
  octal(block, 329, 8, header.devmajor ?? 0);
  octal(block, 337, 8, header.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}
