/**
 * Indexes a tar stream or file (docker save or OCI layout tar) by extracting its regular files to
 * numbered scratch files while hashing them. Nothing is ever created under a name taken from the archive, so
 * hostile names (`../x`, absolute paths) and symlinks cannot reach outside the scratch directory;
 * symlinks and hardlinks are only recorded, for in-scope resolution later (moby load.go safePath).
 */
import { createHash } from '../../util/crypto.js';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { WriteAhead } from '../../util/write-ahead.js';
import type { ArchiveEntry, ArchiveIndex } from './archive-index.js';
import { invalidArchive, normalizeName } from './archive-index.js';
import { MAX_ENTRIES, MAX_NAME_BYTES } from './archive-limits.js';
import { FileChunks } from '../layer/file-chunks.js';
import { InvalidLayerError } from '../layer/layer-limits.js';
import { ChunkReader, nextHeader, padding } from '../layer/tar-blocks.js';

declareFailpoints('archive.import.mid-extract');

/**
 * Copies one entry to `file`, hashing it; reading the archive and writing the copy overlap
 * (util/write-ahead.ts). Not synced here, as in {@link copyEntry}.
 */
async function writeEntry(
  stream: AsyncIterable<unknown>,
  file: string,
): Promise<{ size: number; digest: string }> {
  const hash = createHash('sha256');
  const handle = await open(file, 'wx', 0o600);
  const writer = new WriteAhead(handle);
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      await writer.write(buffer);
    }
    await writer.flush();
  } finally {
    await writer.settle();
    await handle.close();
  }
  return { size: writer.position, digest: `sha256:${hash.digest('hex')}` };
}

/**
 * Reads `input` to the end into `scratchDir` (an empty directory). `onProgress` gets the bytes of
 * file content read so far. A filesystem error (a full disk) is thrown as it came, for the caller,
 * who knows what the scratch directory is for, to explain.
 */
export async function indexTar(
  input: Readable,
  scratchDir: string,
  onProgress?: (bytes: number) => void,
): Promise<ArchiveIndex> {
  const entries = new Map<string, ArchiveEntry>();
  const extract = tar.extract();
  let count = 0;
  let bytes = 0;
  input.on('error', (error) => {
    extract.destroy(error);
  });
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const name = checkedName(++count, header.name);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const file = path.join(scratchDir, String(count));
        const written = await writeEntry(entry, file);
        entries.set(name, { type: 'file', file, ...written });
        bytes += written.size;
        onProgress?.(bytes);
        if (count > 1) await failpoint('archive.import.mid-extract');
        continue;
      }
      recordOther(entries, name, header.type, header.linkname);
      entry.resume();
    }
  } catch (error) {
    input.unpipe(extract);
    input.resume();
    if ((error as { code?: unknown }).code !== undefined) throw error;
    throw invalidArchive(`not a valid tar archive: ${(error as Error).message}`);
  }
  if (count === 0) throw invalidArchive('the archive is empty');
  return { entries, source: 'archive' };
}

/**
 * {@link indexTar} of an archive file, read in place: synchronous reads into reused buffers
 * (file-chunks.ts) parsed by the layer reader's tar parser, and each regular file copied to its scratch
 * file with synchronous writes from those buffers, hashed on the way. A stream would hand every
 * 1 MiB read over in a new buffer, each page a first touch (docs/hot-paths.md). The same entries,
 * checks and verdicts as {@link indexTar}; `onProgress` gets the archive's bytes read so far.
 */
export async function indexTarFile(
  archive: string,
  scratchDir: string,
  onProgress?: (bytes: number) => void,
): Promise<ArchiveIndex> {
  const entries = new Map<string, ArchiveEntry>();
  const chunks = new FileChunks(archive, { digest: 'none' });
  const reader = new ChunkReader(chunks[Symbol.asyncIterator]());
  let count = 0;
  try {
    for (let header = await nextHeader(reader); header !== undefined; header = await nextHeader(reader)) {
      const name = checkedName(++count, header.name);
      // A directory's size says nothing: its body is never read, as tar-stream does.
      const size = header.type === 'directory' ? 0 : header.size;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const file = path.join(scratchDir, String(count));
        const written = await copyEntry(reader, size, file, () => onProgress?.(chunks.bytes));
        entries.set(name, { type: 'file', file, ...written });
        if (count > 1) await failpoint('archive.import.mid-extract');
      } else {
        recordOther(entries, name, header.type, header.linkname ?? '');
        await reader.skip(size);
      }
      await reader.skip(padding(size));
    }
  } catch (error) {
    if (error instanceof InvalidLayerError) throw invalidArchive(`not a valid tar archive: ${error.problem}`);
    throw error;
  } finally {
    chunks.destroy();
  }
  if (count === 0) throw invalidArchive('the archive is empty');
  onProgress?.(chunks.bytes);
  return { entries, source: 'archive' };
}

/**
 * Copies the next `size` bytes of `reader` to the new file `file`, hashing them. The file is not
 * synced here: whoever publishes it does (the blob store before its rename), and can let that flush
 * run while it does other work.
 */
async function copyEntry(
  reader: ChunkReader,
  size: number,
  file: string,
  onPiece: () => void,
): Promise<{ size: number; digest: string }> {
  const hash = createHash('sha256');
  const fd = openSync(file, 'wx', 0o600);
  try {
    for (let left = size; left > 0;) {
      const piece = await reader.piece(left);
      hash.update(piece);
      for (let at = 0; at < piece.length;) at += writeSync(fd, piece, at);
      left -= piece.length;
      onPiece();
    }
  } finally {
    closeSync(fd);
  }
  return { size, digest: `sha256:${hash.digest('hex')}` };
}

/** Counts an entry against the archive's limits; returns its normalised name. */
function checkedName(count: number, name: string): string {
  if (count > MAX_ENTRIES) throw invalidArchive(`the archive has more than ${MAX_ENTRIES} entries`);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES)
    throw invalidArchive(`an entry name is longer than ${MAX_NAME_BYTES} bytes`);
  return normalizeName(name);
}

/**
 * Records an entry that is not a regular file: links by their target, for resolution later; a
 * directory drops a file of the same name recorded before it. Devices and FIFOs are left out.
 */
function recordOther(
  entries: Map<string, ArchiveEntry>,
  name: string,
  type: string | null | undefined,
  linkname: string,
): void {
  if (type === 'symlink') entries.set(name, { type: 'symlink', target: linkname });
  else if (type === 'link') entries.set(name, { type: 'hardlink', target: normalizeName(linkname) });
  else if (type === 'directory') entries.delete(name);
}
