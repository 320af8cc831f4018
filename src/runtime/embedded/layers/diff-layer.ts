/**
 * The inverse of applyLayer (docs/image-formats.md#layer-diff): an overlay upper dir back to a layer tar, for commit
 * and squash. Entries come in byte order with their owners, modes and mtimes; hardlinks are found by
 * inode; a char 0:0 becomes `.wh.<name>`; and because Node cannot read `trusted.overlay.opaque`,
 * opaque directories are expressed as explicit whiteouts of every lower name they hide, which the
 * image-spec recommends anyway.
 */
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink } from '../../../util/fs-async.js';
import { tmpdir } from 'node:os';
import path from '../../../util/node-path.js';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { WHITEOUT_PREFIX } from '../../../image/layer/entry-name.js';
import type { TarHeader } from '../../../image/layer/tar-header.js';
import { TarWriter } from '../../../image/layer/tar-writer.js';
import { removeTree } from '../../../util/remove-tree.js';
import { openXattrReader } from '../../../util/xattrs.js';
import type { XattrReader, Xattrs } from '../../../util/xattrs.js';
import { openDiffViews } from './diff-views.js';
import type { DiffViews } from './diff-views.js';

/** Names probed at once (lstat, xattrs) while walking a folder. */
const PROBE_BATCH = 256;

/** Read size of file bodies and the buffer of the output: a 64 KiB default means 16x the calls. */
const READ_CHUNK = 1024 * 1024;

/** The upper dir to turn into a layer and the chain it sits on. */
export interface DiffLayerOptions {
  /** The upper dir (or an overlay-mode diff dir) to turn into a layer. */
  upper: string;
  /** The chain below it, nearest first; empty for a base layer. */
  lowers?: readonly string[] | undefined;
  /** Paths (relative, no leading slash) to leave out with everything below them, e.g. `dev/.rt`. */
  exclude?: ((rel: string) => boolean) | undefined;
  /** Where the comparison mounts go; default the system temp dir. */
  scratchDir?: string | undefined;
}

/**
 * Streams the layer tar for `options.upper`; errors (unreadable files, mount failures) end the stream.
 * It is written by the toolkit's tar writer, which keeps xattrs (file capabilities) as raw PAX bytes.
 */
export function diffLayer(options: DiffLayerOptions): Readable {
  const output = new PassThrough({ highWaterMark: READ_CHUNK });
  void (async () => {
    const scratch = await mkdtemp(path.join(options.scratchDir ?? tmpdir(), 'devenv-diff-'));
    const xattrs = openXattrReader();
    try {
      const views = await openDiffViews(options.upper, options.lowers ?? [], scratch);
      try {
        const writer = new TarWriter(output);
        const w = { writer, upper: options.upper, views, xattrs, exclude: options.exclude, links: new Map() };
        await walk(w, '');
        await writer.finish();
      } finally {
        await views.close();
      }
    } finally {
      await xattrs.close();
      await removeTree(scratch);
    }
  })().catch((error: unknown) => {
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return output;
}

interface Walk {
  writer: TarWriter;
  upper: string;
  views: DiffViews;
  xattrs: XattrReader;
  exclude: ((rel: string) => boolean) | undefined;
  /** `dev:ino` → first path, for hardlinks. */
  links: Map<string, string>;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What the walk knows of one name before writing it. */
interface Probe {
  info: Stats;
  xattrs: Xattrs;
}

/**
 * Runs `probe` over `items` a batch at a time, keeping their order. Each lstat and xattr answer is a
 * round trip (to libuv's pool, to the helper process); asked one at a time, the walk spent most of
 * its time waiting for them.
 */
async function inBatches<T, R>(items: readonly T[], probe: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PROBE_BATCH)
    out.push(...(await Promise.all(items.slice(i, i + PROBE_BATCH).map(probe))));
  return out;
}

async function walk(w: Walk, dir: string): Promise<void> {
  const join = (name: string) => (dir === '' ? name : `${dir}/${name}`);
  const names = (await readdir(path.join(w.upper, dir))).filter((name) => w.exclude?.(join(name)) !== true);
  const whiteouts = new Set(await w.views.deleted(dir));
  const infos = await inBatches(names, (name) => lstat(path.join(w.upper, dir, name)));
  const children: { name: string; info: Stats }[] = [];
  names.forEach((name, i) => {
    const info = infos[i];
    if (info === undefined) return;
    if (info.isCharacterDevice() && info.rdev === 0) whiteouts.add(name);
    else children.push({ name, info });
  });
  // Whiteouts first, so a reader that applies entries in order still deletes before it adds.
  for (const name of [...whiteouts].sort(byBytes))
    await w.writer.add({ name: join(WHITEOUT_PREFIX + name), type: 'file', mode: 0o644, size: 0 });
  children.sort((a, b) => byBytes(a.name, b.name));
  const probes = await inBatches(children, async ({ name, info }) => ({
    info,
    xattrs: info.isSocket() ? [] : await w.xattrs.read(path.join(w.upper, dir, name)),
  }));
  for (const [i, child] of children.entries()) {
    const probe = probes[i];
    if (probe !== undefined) await emit(w, join(child.name), probe);
  }
}

async function emit(w: Walk, rel: string, { info, xattrs }: Probe): Promise<void> {
  const full = path.join(w.upper, rel);
  if (info.isSocket()) return; // Sockets cannot be put in a tar; Docker drops them too.
  const base: TarHeader = {
    name: rel,
    type: 'file',
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    mtime: new Date(Math.floor(info.mtimeMs / 1000) * 1000),
    size: 0,
    xattrs: xattrs.filter(([name]) => !OVERLAY_XATTR.test(name)),
  };
  if (info.isDirectory()) {
    await w.writer.add({ ...base, type: 'directory' });
    await walk(w, rel);
  } else if (info.isSymbolicLink()) {
    await w.writer.add({ ...base, type: 'symlink', linkname: await readlink(full) });
  } else if (info.nlink > 1 && w.links.has(`${info.dev}:${info.ino}`)) {
    await w.writer.add({ ...base, type: 'link', linkname: w.links.get(`${info.dev}:${info.ino}`) ?? '' });
  } else if (info.isFile()) {
    if (info.nlink > 1) w.links.set(`${info.dev}:${info.ino}`, rel);
    // Reads of up to 1 MiB, but no bigger than the file needs: a buffer per read is allocated at this size.
    const highWaterMark = Math.min(READ_CHUNK, info.size + 1);
    await w.writer.add({ ...base, size: info.size }, createReadStream(full, { highWaterMark }));
  } else if (info.isFIFO()) {
    await w.writer.add({ ...base, type: 'fifo' });
  } else if (info.isCharacterDevice() || info.isBlockDevice()) {
    const type = info.isCharacterDevice() ? 'character-device' : 'block-device';
    await w.writer.add({ ...base, type, devmajor: major(info.rdev), devminor: minor(info.rdev) });
  }
}

/** overlayfs bookkeeping (opaque markers, origins, redirects) describes the upper dir, not a file. */
const OVERLAY_XATTR = /^(?:trusted|user)\.overlay\./;

/** Linux `major()`/`minor()` of a dev_t. */
const major = (dev: number) => ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
const minor = (dev: number) => (dev & 0xff) | ((dev >> 12) & ~0xff);
