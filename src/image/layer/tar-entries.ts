/**
 * Reads a tar stream into validated layer entries: names normalized, limits counted, PAX records
 * applied the way Docker's reader applies them. Everything that can be refused without touching the
 * filesystem is refused here, so both passes of {@link applyLayer} see the same verdicts.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { normalizeEntryName } from './entry-name.js';
import { invalidEntry, limitError } from './layer-limits.js';
import type { LayerLimits } from './layer-limits.js';
import { layerReadError } from './tar-errors.js';

/** Entry types a layer may hold, after `contiguous-file` is folded into `file`. */
export type EntryType =
  'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';

/** What every reader of a layer knows about one entry: its validated header fields. */
export interface EntryHeader {
  /** The name as the tar spells it, for messages. */
  name: string;
  /** Normalized path relative to the layer root; `''` is the root itself. */
  rel: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** Symlink target verbatim, or normalized hardlink target. */
  linkname: string | undefined;
  size: number;
}

/** One validated entry. `body` may be read once, or left alone: the reader drains what is left. */
export interface LayerEntry extends EntryHeader {
  /** Names of extended attributes the entry carried; never applied (docs/image-formats.md#layer-tars). */
  xattrs: string[];
  body: AsyncIterable<Buffer>;
}

/** A header as tar-stream really decodes it: its typings promise more than a hostile tar keeps. */
interface RawHeader {
  name: string;
  type: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  size?: number | null;
  mtime?: Date | null;
  linkname?: string | null;
  devmajor?: number | null;
  devminor?: number | null;
  pax?: Record<string, string> | null;
}

const TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'link',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

/** Yields the entries of an uncompressed tar stream, throwing `DevenvError`s for invalid input. */
export async function* readLayerEntries(
  tarStream: Readable,
  limits: LayerLimits,
): AsyncGenerator<LayerEntry> {
  const extract = tar.extract();
  // The first failure (source, decompressor, byte cap, tar parser) is the one worth reporting; an
  // entry body being read at the time only sees a generic "Stream was destroyed".
  let first: unknown;
  tarStream.on('error', (error) => {
    first ??= error;
    extract.destroy(error);
  });
  extract.on('error', (error) => {
    first ??= error;
  });
  tarStream.pipe(extract);
  let count = 0;
  try {
    for await (const stream of extract) {
      // Docker ignores PAX global headers; tar-stream would merge them into later PAX headers.
      (extract as unknown as { _paxGlobal: unknown })._paxGlobal = null;
      if (++count > limits.maxEntries) throw limitError('entry count', limits.maxEntries);
      const body = guardBody(stream as AsyncIterable<Buffer>, () => first);
      const entry = toLayerEntry(stream.header as RawHeader, body, limits);
      yield entry;
      // Drain what the consumer left unread, or tar-stream stalls.
      for await (const chunk of stream) if (chunk === undefined) break;
    }
  } catch (error) {
    throw layerReadError(first ?? error);
  } finally {
    tarStream.unpipe(extract);
    tarStream.destroy();
    extract.destroy();
  }
}

async function* guardBody(stream: AsyncIterable<Buffer>, firstError: () => unknown): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (error) {
    // Let the failing stream's own 'error' event land before choosing what to report.
    await new Promise((resolve) => setImmediate(resolve));
    throw layerReadError(firstError() ?? error);
  }
}

function toLayerEntry(header: RawHeader, body: AsyncIterable<Buffer>, limits: LayerLimits): LayerEntry {
  const name = header.name;
  const pax = header.pax ?? {};
  let metaBytes = 0;
  for (const [key, value] of Object.entries(pax))
    metaBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (metaBytes > limits.maxMetaBytes)
    throw limitError(`PAX header of ${metaBytes} bytes`, limits.maxMetaBytes, name);
  if (Object.keys(pax).some((key) => key.startsWith('GNU.sparse.')))
    throw invalidEntry(name, 'GNU sparse files are not supported');
  // tar-stream reports typeflags it does not know (GNU sparse `S`, vendor types) as null.
  const rawType = header.type;
  const type = rawType === null ? undefined : TYPES[rawType];
  if (type === undefined)
    throw invalidEntry(name, `unsupported tar entry type ${rawType ?? '(GNU sparse or unknown typeflag)'}`);
  const rel = normalizeEntryName(name, limits);
  const uid = paxNumber(pax.uid) ?? header.uid ?? 0;
  const gid = paxNumber(pax.gid) ?? header.gid ?? 0;
  if (!isId(uid) || !isId(gid)) throw invalidEntry(name, `invalid owner ${uid}:${gid}`);
  if (type === 'character-device' || type === 'block-device') {
    if (!isId(header.devmajor ?? 0) || !isId(header.devminor ?? 0))
      throw invalidEntry(name, `invalid device number ${header.devmajor}:${header.devminor}`);
  }
  let linkname: string | undefined;
  if (type === 'symlink' || type === 'link') {
    const raw = header.linkname ?? '';
    if (raw === '')
      throw invalidEntry(name, `${type === 'link' ? 'hardlink' : 'symlink'} has an empty target`);
    if (raw.includes('\0')) throw invalidEntry(name, 'link target contains a NUL byte');
    if (Buffer.byteLength(raw) > limits.maxPathBytes)
      throw limitError('link target length', limits.maxPathBytes, name);
    linkname = type === 'link' ? hardlinkTarget(name, raw, limits) : raw;
  }
  const mtimeSeconds = paxNumber(pax.mtime);
  const mtime = mtimeSeconds === undefined ? (header.mtime ?? new Date(0)) : new Date(mtimeSeconds * 1000);
  const xattrs = Object.keys(pax)
    .filter((key) => key.startsWith('SCHILY.xattr.') || key.startsWith('LIBARCHIVE.xattr.'))
    .map((key) => key.slice(key.indexOf('xattr.') + 'xattr.'.length));
  return {
    name,
    rel,
    type,
    mode: (header.mode ?? 0o644) & 0o7777,
    uid,
    gid,
    mtime,
    linkname,
    size: header.size ?? 0,
    xattrs,
    body,
  };
}

function hardlinkTarget(name: string, raw: string, limits: LayerLimits): string {
  try {
    return normalizeEntryName(raw, limits, 'hardlink target');
  } catch (error) {
    throw invalidEntry(name, `hardlink target ${raw} is outside the layer`, error);
  }
}

function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+(?:\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

function isId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}
