/**
 * Indexes a tar stream (docker save or OCI layout tar) by extracting its regular files to numbered
 * scratch files while hashing them. Nothing is ever created under a name taken from the archive, so
 * hostile names (`../x`, absolute paths) and symlinks cannot reach outside the scratch directory;
 * symlinks and hardlinks are only recorded, for in-scope resolution later (moby load.go safePath).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { declareFailpoints, failpoint } from '../../util/failpoint.js';
import { WriteAhead } from '../../util/write-ahead.js';
import type { ArchiveEntry, ArchiveIndex } from './archive-index.js';
import { invalidArchive, normalizeName } from './archive-index.js';
import { MAX_ENTRIES, MAX_NAME_BYTES } from './archive-limits.js';

declareFailpoints('archive.import.mid-extract');

/**
 * Copies one entry to `file`, hashing it; reading the archive and writing the copy overlap
 * (util/write-ahead.ts).
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
    await handle.sync();
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
      if (++count > MAX_ENTRIES) throw invalidArchive(`the archive has more than ${MAX_ENTRIES} entries`);
      if (Buffer.byteLength(header.name) > MAX_NAME_BYTES)
        throw invalidArchive(`an entry name is longer than ${MAX_NAME_BYTES} bytes`);
      const name = normalizeName(header.name);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const file = path.join(scratchDir, String(count));
        const written = await writeEntry(entry, file);
        entries.set(name, { type: 'file', file, ...written });
        bytes += written.size;
        onProgress?.(bytes);
        if (count > 1) await failpoint('archive.import.mid-extract');
        continue;
      }
      if (header.type === 'symlink') entries.set(name, { type: 'symlink', target: header.linkname });
      else if (header.type === 'link')
        entries.set(name, { type: 'hardlink', target: normalizeName(header.linkname) });
      else if (header.type === 'directory') entries.delete(name);
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
