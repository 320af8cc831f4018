/**
 * The content hash of COPY/ADD sources that Docker's classic builder writes into the history line
 * and compares for the cache (`file:…`, `dir:…`, `multi:…`; moby remotecontext and pkg/tarsum v1).
 * Each entry is hashed as sha256 of its tar header fields — name, mode, uid, gid, size, typeflag,
 * linkname, uname, gname, devmajor, devminor, then the sorted xattrs — followed by its bytes. No
 * time is hashed, so touching a file keeps the cache.
 *
 * Two flavours, as Docker has two sources: the build context, which the CLI sends as a tar owned by
 * 0:0 (mode: permission and setuid/setgid/sticky bits only, no user or group names), and a stage or
 * image root read from disk (mode with the file-type bits Go 1.8 wrote, real owners, and the user
 * and group names the machine's passwd and group files give them).
 */
import { createHash } from '../../util/crypto.js';

/** One file, directory or link under a source. */
export interface CopyHashEntry {
  /** Path relative to the context (or the stage root), `/`-separated, no leading `./` or `/`. */
  rel: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  /** `st_mode`; the flavour decides which bits count. */
  mode: number;
  /** Size in bytes of a regular file; ignored for the other types. */
  size: number;
  /** Owner; the context flavour always hashes 0:0. */
  uid?: number | undefined;
  gid?: number | undefined;
  /** Owner names (stage flavour only). */
  uname?: string | undefined;
  gname?: string | undefined;
  /** Symlink target, or for a hardlink the `rel` of the entry it links to. */
  linkname?: string | undefined;
  devmajor?: number | undefined;
  devminor?: number | undefined;
  /** The raw `security.capability` xattr, if the file has one. */
  capability?: Buffer | undefined;
  /** A folder named without the trailing `/` in the tar Docker hashed (devenv's context tar). */
  bareDirName?: boolean | undefined;
  /**
   * For a link inside a copied context folder: the entry it leads to, whose hash it takes, or the
   * literal string Docker uses when the link leads out of the context.
   */
  followed?: CopyHashEntry | string | undefined;
  /** The bytes of a regular file (not read for other types, nor for a hardlink). */
  contents?: (() => AsyncIterable<Buffer> | Buffer) | undefined;
}

/** One matched source: the matched path first, then for a directory every entry under it. */
export interface CopySource {
  entries: CopyHashEntry[];
  /** True when the source is the whole root (`COPY . …`): `entries` then holds only what is under it. */
  dir?: boolean | undefined;
}

/** Which of Docker's two sources the entries come from (see the module comment). */
export type CopyHashFlavour = 'context' | 'stage';

const TYPEFLAG: Readonly<Record<CopyHashEntry['type'], string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** The S_IFMT bits Go 1.8's tar headers carried, which Docker still adds for files read from disk. */
const TYPE_BITS: Readonly<Record<CopyHashEntry['type'], number>> = {
  file: 0o100000,
  hardlink: 0o100000,
  symlink: 0o120000,
  char: 0o20000,
  block: 0o60000,
  dir: 0o40000,
  fifo: 0o10000,
};

/** The tarsum v1 header of an entry, as the bytes that start its hash. */
export function tarsumHeader(entry: CopyHashEntry, flavour: CopyHashFlavour): string {
  const context = flavour === 'context';
  const name = entry.type === 'dir' && entry.bareDirName !== true ? `${entry.rel}/` : entry.rel;
  const mode = (entry.mode & 0o7777) | (context ? 0 : TYPE_BITS[entry.type]);
  const size = entry.type === 'file' ? entry.size : 0;
  const fields: [string, string][] = [
    ['name', name],
    ['mode', String(mode)],
    ['uid', String(context ? 0 : (entry.uid ?? 0))],
    ['gid', String(context ? 0 : (entry.gid ?? 0))],
    ['size', String(size)],
    ['typeflag', TYPEFLAG[entry.type]],
    ['linkname', entry.linkname ?? ''],
    ['uname', context ? '' : (entry.uname ?? '')],
    ['gname', context ? '' : (entry.gname ?? '')],
    ['devmajor', String(entry.devmajor ?? 0)],
    ['devminor', String(entry.devminor ?? 0)],
  ];
  let header = fields.map(([k, v]) => k + v).join('');
  if (entry.capability !== undefined) header += `security.capability${entry.capability.toString('latin1')}`;
  return header;
}

/** The hex sha256 of one entry: its header, then its bytes. */
export async function entryHash(entry: CopyHashEntry, flavour: CopyHashFlavour = 'context'): Promise<string> {
  if (typeof entry.followed === 'string') return entry.followed;
  if (entry.followed !== undefined) return entryHash(entry.followed, flavour);
  const hash = createHash('sha256');
  hash.update(Buffer.from(tarsumHeader(entry, flavour), 'latin1'));
  if (entry.type === 'file' && entry.size > 0 && entry.contents !== undefined) {
    const contents = entry.contents();
    if (Buffer.isBuffer(contents)) hash.update(contents);
    else for await (const chunk of contents) hash.update(chunk);
  }
  return hash.digest('hex');
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The hash of one source: `file:<hex>`, or `dir:` + sha256 of its entries' sorted hashes. */
export async function sourceHash(source: CopySource, flavour: CopyHashFlavour = 'context'): Promise<string> {
  const [root] = source.entries;
  if (source.dir !== true) {
    if (root === undefined) throw new RangeError('a copy source has at least its own entry');
    if (root.type !== 'dir') return `file:${await entryHash(root, flavour)}`;
  }
  const hashes: string[] = [];
  for (const entry of source.entries) hashes.push(await entryHash(entry, flavour));
  return `dir:${sha256(hashes.sort().join(','))}`;
}

/**
 * The hash Docker writes for a COPY/ADD: the one source's hash, or with several (after wildcards)
 * `multi:` + sha256 of their hashes joined by `,` in source order.
 */
export async function copySourceHash(
  sources: readonly CopySource[],
  flavour: CopyHashFlavour = 'context',
): Promise<string> {
  const hashes: string[] = [];
  for (const source of sources) hashes.push(await sourceHash(source, flavour));
  if (hashes.length === 1) return hashes[0] ?? '';
  return `multi:${sha256(hashes.join(','))}`;
}
