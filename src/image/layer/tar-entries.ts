/**
 * Reads a tar stream into validated layer entries: names normalized, limits counted, PAX records
 * applied the way Docker's reader applies them. Everything that can be refused without touching the
 * filesystem is refused here, so both passes of {@link applyLayer} see the same verdicts.
 */
import { optimizeFromNow } from '../../util/optimizer.js';
import type { Readable } from 'node:stream';
import { normalizeEntryName } from './entry-name.js';
import { invalidEntry, limitError } from './layer-limits.js';
import type { LayerLimits } from './layer-limits.js';
import { ChunkReader, nextHeader, padding } from './tar-blocks.js';
import type { FileChunks } from './file-chunks.js';
import type { RawTarHeader } from './tar-blocks.js';
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

/** One validated entry. `body` may be read once, or left alone: the reader skips what is left. */
export interface LayerEntry extends EntryHeader {
  /** Names of extended attributes the entry carried; never applied (docs/image-formats.md#layer-tars). */
  xattrs: string[];
  /**
   * The body, as slices of the source's own chunks. A piece is valid until the next piece or entry
   * is asked for: a file source reads into its buffers again (file-chunks.ts).
   */
  body: AsyncIterable<Buffer>;
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

/** Where the reader is in the current entry's body; shared by the entry loop and the body. */
interface BodyState {
  left: number;
  done: boolean;
}

/**
 * Where the tar bytes come from: a stream, or a file read in place (file-chunks.ts). Either is
 * destroyed when the reader stops, at the end or early.
 */
export type TarSource = Readable | FileChunks;

/** Yields the entries of an uncompressed tar, throwing `DevenvError`s for invalid input. */
export async function* readLayerEntries(
  tarStream: TarSource,
  limits: LayerLimits,
): AsyncGenerator<LayerEntry> {
  optimizeFromNow();
  const reader = new ChunkReader(tarStream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  let count = 0;
  try {
    for (let header = await nextHeader(reader); header !== undefined; header = await nextHeader(reader)) {
      if (++count > limits.maxEntries) throw limitError('entry count', limits.maxEntries);
      // A directory's size says nothing: its body is never read, as tar-stream and Go's reader do.
      const size = header.type === 'directory' ? 0 : header.size;
      const state: BodyState = { left: size, done: false };
      yield toLayerEntry(header, entryBody(reader, state), limits);
      state.done = true;
      await reader.skip(state.left + (size === 0 ? 0 : padding(size)));
    }
  } catch (error) {
    throw layerReadError(error);
  } finally {
    tarStream.destroy();
  }
}

async function* entryBody(reader: ChunkReader, state: BodyState): AsyncGenerator<Buffer> {
  try {
    while (state.left > 0) {
      if (state.done) throw new Error('a layer entry body was read after the next entry was asked for');
      const piece = await reader.piece(state.left);
      state.left -= piece.length;
      yield piece;
    }
  } catch (error) {
    throw layerReadError(error);
  }
}

function toLayerEntry(header: RawTarHeader, body: AsyncIterable<Buffer>, limits: LayerLimits): LayerEntry {
  const name = header.name;
  const pax = header.pax ?? {};
  let metaBytes = 0;
  for (const [key, value] of Object.entries(pax))
    metaBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (metaBytes > limits.maxMetaBytes)
    throw limitError(`PAX header of ${metaBytes} bytes`, limits.maxMetaBytes, name);
  if (Object.keys(pax).some((key) => key.startsWith('GNU.sparse.')))
    throw invalidEntry(name, 'GNU sparse files are not supported');
  // The block parser reports typeflags it does not know (GNU sparse `S`, vendor types) as null.
  const rawType = header.type;
  const type = rawType === null ? undefined : TYPES[rawType];
  if (type === undefined)
    throw invalidEntry(name, `unsupported tar entry type ${rawType ?? '(GNU sparse or unknown typeflag)'}`);
  const rel = normalizeEntryName(name, limits);
  const uid = paxNumber(pax.uid) ?? header.uid;
  const gid = paxNumber(pax.gid) ?? header.gid;
  if (!isId(uid) || !isId(gid)) throw invalidEntry(name, `invalid owner ${uid}:${gid}`);
  if (type === 'character-device' || type === 'block-device') {
    if (!isId(header.devmajor) || !isId(header.devminor))
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
  const mtime = mtimeSeconds === undefined ? header.mtime : new Date(mtimeSeconds * 1000);
  const xattrs = Object.keys(pax)
    .filter((key) => key.startsWith('SCHILY.xattr.') || key.startsWith('LIBARCHIVE.xattr.'))
    .map((key) => key.slice(key.indexOf('xattr.') + 'xattr.'.length));
  return {
    name,
    rel,
    type,
    mode: header.mode & 0o7777,
    uid,
    gid,
    mtime,
    linkname,
    size: header.size,
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
