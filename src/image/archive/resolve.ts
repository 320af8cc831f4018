/**
 * Resolves a path an archive's own JSON names (a layer, a config, a blob) inside the archive only,
 * like moby's safePath (FollowSymlinkInScope): `..` may not climb above the archive root, absolute
 * paths and absolute link targets are refused, and link chains are bounded. Docker's legacy format
 * does use relative symlinks between layer directories, so those resolve.
 */
import { DevenvError } from '../../errors.js';
import type { ArchiveIndex, FileEntry } from './archive-index.js';
import { entryDigest, invalidArchive } from './archive-index.js';
import { MAX_LINK_HOPS } from './archive-limits.js';

function escape(what: string, name: string): DevenvError {
  return invalidArchive(`invalid manifest: ${what} path ${JSON.stringify(name)} points outside the archive`);
}

/** The file entry `name` resolves to; `what` names the reference for messages ("layer 2"). */
export function resolveFile(index: ArchiveIndex, name: string, what: string): FileEntry {
  if (name.startsWith('/') || name.includes('\0')) throw escape(what, name);
  let pending = name.split('/');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() ?? '';
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw escape(what, name);
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const entry = index.entries.get(resolved.join('/'));
    if (entry?.type === 'symlink' || (entry?.type === 'hardlink' && pending.length === 0)) {
      if (++hops > MAX_LINK_HOPS)
        throw invalidArchive(`invalid manifest: ${what} path ${name} passes through too many links`);
      if (entry.target.startsWith('/')) throw escape(what, name);
      resolved.pop();
      // A symlink is relative to its directory; a hardlink names a path from the archive root.
      if (entry.type === 'hardlink') resolved.length = 0;
      pending = [...entry.target.split('/'), ...pending];
    }
  }
  const entry = index.entries.get(resolved.join('/'));
  if (entry?.type !== 'file')
    throw invalidArchive(`invalid manifest: ${what} ${JSON.stringify(name)} is not in the archive`);
  return entry;
}

/**
 * Resolves `blobs/sha256/<hex>` for a descriptor and checks the content against the digest (and the
 * size, when given): every blob's content must hash to its name (image-layout.md).
 */
export async function resolveBlob(
  index: ArchiveIndex,
  digest: string,
  size: number | undefined,
  what: string,
): Promise<FileEntry> {
  const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
  if (hex === undefined)
    throw invalidArchive(`${what}: ${JSON.stringify(digest.slice(0, 80))} is not a sha256 digest`);
  const entry = resolveFile(index, `blobs/sha256/${hex}`, what);
  if (size !== undefined && entry.size !== size)
    throw invalidArchive(`${what}: blob ${digest} is ${entry.size} bytes, the descriptor says ${size}`);
  await verifyNamedBlob(entry, digest, what);
  return entry;
}

/** Fails unless the entry's content hashes to `digest`. */
export async function verifyNamedBlob(entry: FileEntry, digest: string, what: string): Promise<void> {
  const actual = await entryDigest(entry);
  if (actual !== digest) {
    throw new DevenvError(
      'DEVENV_DIGEST_MISMATCH',
      `${what}: blob ${digest} in the archive does not match its content (got ${actual})`,
    );
  }
}
