/**
 * Finds what a COPY/ADD source names under a host directory (the build context, or the mounted
 * root of a stage or image), with Docker's rules: a path is relative to that root even when written
 * absolute, a directory stands for itself and everything under it (its contents are what gets
 * copied), a top-level symlink is followed inside the root, and a wildcard is matched with Go's
 * `filepath.Match` against every path, in lexical walk order. The result feeds ./copy-hash.ts and
 * tells the executor what to copy.
 */
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import { DevenvError } from '../../errors.js';
import type { CopyHashEntry, CopySource } from './copy-hash.js';
import { BadPatternError, compileGoPattern, hasWildcards } from './go-match.js';

/** A source entry with where it is on the host. */
export interface HostCopyEntry extends CopyHashEntry {
  /** Absolute host path. */
  path: string;
}

/** A matched source with host paths. */
export interface HostCopySource extends CopySource {
  entries: HostCopyEntry[];
}

/** How to read a root. */
export interface CopySourceOptions {
  /** `context` when `root` is the build context, `stage` for the root of a stage or image. */
  flavour: 'context' | 'stage';
  /** True for a context-relative path `.dockerignore` excludes (it is then not in the context). */
  ignored?: ((rel: string) => boolean) | undefined;
  /** Names for owners (stage flavour; Docker looks them up in the machine's passwd and group files). */
  userName?: ((uid: number) => string | undefined) | undefined;
  groupName?: ((gid: number) => string | undefined) | undefined;
  /**
   * Which tar brought the context to Docker, whose headers Docker hashes: `docker-cli` (default) names
   * folders with a trailing `/` and records hardlinks; `devenv` (devenv's own context tar, what the
   * Docker runtime sends) names folders bare and sends every file on its own.
   */
  contextTar?: 'docker-cli' | 'devenv' | undefined;
  /** The `security.capability` xattr of a host file (Node cannot read xattrs itself). */
  capabilityOf?: ((hostPath: string) => Buffer | undefined) | undefined;
  /** Names the instruction in errors, e.g. `Dockerfile:12: COPY`. */
  where: string;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function typeOf(stats: Stats): CopyHashEntry['type'] | undefined {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFIFO()) return 'fifo';
  return undefined;
}

class Walker {
  /** First path seen for each inode with several links, for hardlink entries (context flavour). */
  private readonly inodes = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly options: CopySourceOptions,
  ) {}

  private fail(message: string, hint: string): DevenvError {
    return new DevenvError('DEVENV_CONFIG_INVALID', `${this.options.where}: ${message}`, { hint });
  }

  async entry(rel: string): Promise<HostCopyEntry> {
    const host = path.join(this.root, rel);
    const stats = await lstat(host);
    const type = typeOf(stats);
    if (
      type === undefined ||
      (this.options.flavour === 'context' && (type === 'fifo' || type === 'char' || type === 'block'))
    )
      throw this.fail(
        `${rel} is not a file, directory or symlink`,
        'Remove it from the build context or exclude it in .dockerignore.',
      );
    const { userName, groupName, capabilityOf } = this.options;
    const entry: HostCopyEntry = {
      path: host,
      rel,
      type,
      mode: stats.mode,
      size: stats.size,
      uid: stats.uid,
      gid: stats.gid,
      uname: userName?.(stats.uid),
      gname: groupName?.(stats.gid),
      capability: type === 'file' ? capabilityOf?.(host) : undefined,
    };
    if (type === 'symlink') entry.linkname = await readlink(host);
    if (type === 'char' || type === 'block') {
      entry.devmajor = Math.floor(stats.rdev / 256) & 0xfff;
      entry.devminor = (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00);
    }
    if (type === 'file') {
      const key = `${stats.dev}:${stats.ino}`;
      const first = this.inodes.get(key);
      if (
        this.options.flavour === 'context' &&
        this.options.contextTar !== 'devenv' &&
        stats.nlink > 1 &&
        first !== undefined
      ) {
        entry.type = 'hardlink';
        entry.linkname = first;
      } else {
        if (stats.nlink > 1) this.inodes.set(key, rel);
        entry.contents = () => createReadStream(host);
      }
    }
    return entry;
  }

  /** `rel` and, for a directory, everything under it in lexical order (ignored paths left out). */
  async tree(rel: string, top = true): Promise<HostCopyEntry[]> {
    const entry = await this.entry(rel);
    if (this.options.flavour === 'context') {
      if (this.options.contextTar === 'devenv') entry.bareDirName = true;
      // Docker hashes a link met inside a copied folder as what it leads to in the context (its
      // context's Hash follows links), or as the bare path when that is not in the context.
      if (!top && entry.type === 'symlink') entry.followed = await this.followed(rel);
    }
    const out = [entry];
    if (entry.type !== 'dir') return out;
    const names = (await readdir(entry.path)).sort(byteOrder);
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (this.options.ignored?.(child) === true) continue;
      out.push(...(await this.tree(child, false)));
    }
    return out;
  }

  /** The entry a link inside a copied folder hashes as, or its own path when it leads nowhere. */
  private async followed(rel: string): Promise<CopyHashEntry | string> {
    try {
      const target = await this.followInRoot(rel);
      const entry = await this.entry(target);
      if (this.options.contextTar === 'devenv') entry.bareDirName = true;
      return entry;
    } catch {
      return rel;
    }
  }

  /** Every path under the root in walk order, for wildcard matching. */
  async allPaths(rel = ''): Promise<string[]> {
    const names = (
      await readdir(rel === '' ? this.root : path.join(this.root, rel), { withFileTypes: true })
    ).sort((a, b) => byteOrder(a.name, b.name));
    const out: string[] = [];
    for (const dirent of names) {
      const child = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      if (this.options.ignored?.(child) === true) continue;
      out.push(child);
      if (dirent.isDirectory()) out.push(...(await this.allPaths(child)));
    }
    return out;
  }

  /** Follows a symlink at `rel` inside the root (as Docker's FollowSymlinkInScope); returns the target's rel. */
  async followInRoot(rel: string): Promise<string> {
    let current = rel;
    for (let hops = 0; hops < 40; hops++) {
      const host = path.join(this.root, current);
      let target: string;
      try {
        target = await readlink(host);
      } catch {
        return current;
      }
      const joined = target.startsWith('/') ? target : `${path.posix.dirname(`/${current}`)}/${target}`;
      current = path.posix.normalize(`/${joined}`).slice(1);
    }
    throw this.fail(`too many levels of symbolic links at ${rel}`, 'Copy the link target instead.');
  }
}

/** A source as a root-relative path: `/a/../b` and `./b` are `b`, `.` and `/` are '' (the root). */
export function rootRelative(source: string): string {
  const normal = path.posix.normalize(`/${source}`).slice(1);
  return normal.replace(/\/+$/, '');
}

/**
 * Expands and reads COPY/ADD `sources` under `root`. Throws DEVENV_CONFIG_INVALID naming
 * `options.where` when a source does not exist (or is excluded by .dockerignore), a wildcard matches
 * nothing or is malformed, or a context entry is a device or pipe.
 */
export async function collectCopySources(
  root: string,
  sources: readonly string[],
  options: CopySourceOptions,
): Promise<HostCopySource[]> {
  const walker = new Walker(root, options);
  const result: HostCopySource[] = [];
  const missing = (source: string) =>
    new DevenvError(
      'DEVENV_CONFIG_INVALID',
      `${options.where}: ${source} is not in the ${options.flavour === 'context' ? 'build context' : 'source stage'}${options.flavour === 'context' ? ' (or .dockerignore excludes it)' : ''}`,
      { hint: 'Check the path; sources are relative to the context (or to the root of the --from stage).' },
    );
  for (const source of sources) {
    const rel = rootRelative(source);
    if (hasWildcards(rel)) {
      let pattern: RegExp;
      try {
        pattern = compileGoPattern(rel);
      } catch (error) {
        if (!(error instanceof BadPatternError)) throw error;
        throw new DevenvError('DEVENV_CONFIG_INVALID', `${options.where}: ${error.message}`, {
          hint: 'Use *, ? and [a-z] as in a shell glob; escape a literal [ with \\.',
        });
      }
      const matches = (await walker.allPaths()).filter((p) => pattern.test(p));
      if (matches.length === 0) throw missing(source);
      for (const match of matches) result.push({ entries: await walker.tree(match) });
      continue;
    }
    if (rel !== '' && options.ignored?.(rel) === true) throw missing(source);
    try {
      // The root itself is not an entry (Docker's walk skips "."), only what is under it.
      if (rel === '') result.push({ entries: (await walker.tree('')).slice(1), dir: true });
      else result.push({ entries: await walker.tree(await walker.followInRoot(rel)) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(source);
      throw error;
    }
  }
  return result;
}
