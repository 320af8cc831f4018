/**
 * What an archive holds, independent of whether it came as a tar stream or a directory: every entry
 * by its normalised in-archive name. Regular files point at a file on disk (a numbered scratch file
 * for a tar, the real file for a directory) with its size and, once known, its sha256.
 */
import { DevenvError } from '../../errors.js';
import { hashFile } from '../../util/hash-file.js';
import { readCapped } from '../../util/read-capped.js';

/** One entry. Directories are implicit; devices and fifos are dropped while indexing. */
export type ArchiveEntry =
  | { type: 'file'; file: string; size: number; digest: string | undefined }
  | { type: 'symlink'; target: string }
  | { type: 'hardlink'; target: string };

/** A regular file entry. */
export type FileEntry = Extract<ArchiveEntry, { type: 'file' }>;

/** The entries of one archive, by normalised name. */
export interface ArchiveIndex {
  entries: Map<string, ArchiveEntry>;
  /** Where the archive came from, for messages. */
  source: string;
}

/** The error of a malformed archive. */
export function invalidArchive(message: string): DevenvError {
  return new DevenvError('DEVENV_ARCHIVE_INVALID', message, {
    hint: 'The file is not a complete docker save archive or OCI layout; save or copy it again.',
  });
}

/**
 * Normalises an entry name the way the archive's own references are compared: no leading `./`,
 * no trailing `/`, no `.` components. Absolute names, NUL bytes and names that climb out with `..`
 * are refused: a well-formed archive never has them.
 */
export function normalizeName(name: string): string {
  if (name.includes('\0')) throw invalidArchive(`entry name ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith('/')) throw invalidArchive(`entry name ${name} is absolute`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw invalidArchive(`entry name ${name} leaves the archive`);
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** The entry's sha256, computed once. */
export async function entryDigest(entry: FileEntry): Promise<string> {
  entry.digest ??= (await hashFile(entry.file)).digest;
  return entry.digest;
}

/** The entry's bytes, refusing more than `maxBytes`. */
export async function readEntry(entry: FileEntry, maxBytes: number, what: string): Promise<Buffer> {
  if (entry.size > maxBytes)
    throw new DevenvError(
      'DEVENV_LIMIT',
      `${what} is ${entry.size} bytes, more than the ${maxBytes} allowed`,
    );
  return readCapped(entry.file, maxBytes);
}
