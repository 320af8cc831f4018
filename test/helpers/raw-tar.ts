/**
 * A small tar reader for tests that need what tar-stream loses: PAX values as raw bytes. An extended
 * attribute such as `security.capability` is binary, and tar-stream decodes every PAX value as UTF-8,
 * which turns bytes above 0x7f into replacement characters. Reads ustar, PAX (`x`) and GNU long names
 * (`L`, `K`), the formats Docker's and devenv's layer writers use. Test input only: no limits. It is
 * deliberately not the product's layer reader: the parity tests judge layers devenv wrote, and a
 * reader shared with the writer's side could agree with it on a mistake.
 */

/** One member of a tar. `type` is the ustar typeflag (`0` file, `1` hardlink, `2` symlink, `5` dir…). */
export interface RawTarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.NAME` records: NAME → raw value. */
  xattrs: Map<string, Buffer>;
  body: Buffer;
}

function text(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** A numeric header field: octal text, or base-256 when the high bit of its first byte is set. */
function numeric(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const digits = text(field).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

/** PAX records (`LEN key=value\n`), values kept as bytes. */
function paxRecords(body: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const length = parseInt(body.subarray(at, space).toString('ascii'), 10);
    if (space === -1 || !(length > 0)) break;
    const record = body.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1));
    at += length;
  }
  return records;
}

/** The members of an uncompressed tar, in order. */
export function* rawTarEntries(tar: Buffer): Generator<RawTarEntry> {
  let at = 0;
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) return;
    const flag = String.fromCharCode(header[156] ?? 0);
    const paxSize = pax.get('size');
    const size = paxSize === undefined ? numeric(header.subarray(124, 136)) : Number(paxSize.toString());
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'x') {
      pax = paxRecords(body);
      continue;
    }
    if (flag === 'g') continue;
    if (flag === 'L' || flag === 'K') {
      if (flag === 'L') longName = text(body);
      else longLink = text(body);
      continue;
    }
    const prefix =
      header.subarray(257, 262).toString('ascii') === 'ustar' ? text(header.subarray(345, 500)) : '';
    const short = text(header.subarray(0, 100));
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of pax)
      if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    const paxNumber = (key: string, fallback: number) => {
      const value = pax.get(key);
      return value === undefined ? fallback : Number(value.toString());
    };
    yield {
      name: pax.get('path')?.toString('utf8') ?? longName ?? (prefix === '' ? short : `${prefix}/${short}`),
      type: flag === '\0' || flag === '7' ? '0' : flag,
      mode: numeric(header.subarray(100, 108)),
      uid: paxNumber('uid', numeric(header.subarray(108, 116))),
      gid: paxNumber('gid', numeric(header.subarray(116, 124))),
      linkname: pax.get('linkpath')?.toString('utf8') ?? longLink ?? text(header.subarray(157, 257)),
      devmajor: numeric(header.subarray(329, 337)),
      devminor: numeric(header.subarray(337, 345)),
      xattrs,
      body,
    };
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
}
