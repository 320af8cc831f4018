/**
 * The inverse of applyLayer (runtime-spec 6.4): an overlay upper dir back to a layer tar, for commit
 * and squash. Entries come in byte order with their owners, modes and mtimes; hardlinks are found by
 * inode; a char 0:0 becomes `.wh.<name>`; and because Node cannot read `trusted.overlay.opaque`,
 * opaque directories are expressed as explicit whiteouts of every lower name they hide, which the
 * image-spec recommends anyway.
 */
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Header, Pack } from 'tar-stream';
import { removeTree } from '../../../util/remove-tree.js';
import { openDiffViews } from './diff-views.js';
import type { DiffViews } from './diff-views.js';
import { WHITEOUT_PREFIX } from '../../../image/layer/entry-name.js';
import { packBody, packEntry } from '../../../util/tar-pack.js';

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

/** Streams the layer tar for `options.upper`; errors (unreadable files, mount failures) end the stream. */
export function diffLayer(options: DiffLayerOptions): Readable {
  const pack = tar.pack();
  void (async () => {
    const scratch = await mkdtemp(path.join(options.scratchDir ?? os.tmpdir(), 'devenv-diff-'));
    try {
      const views = await openDiffViews(options.upper, options.lowers ?? [], scratch);
      try {
        await walk({ pack, upper: options.upper, views, exclude: options.exclude, links: new Map() }, '');
      } finally {
        await views.close();
      }
      pack.finalize();
    } finally {
      await removeTree(scratch);
    }
  })().catch((error: unknown) => {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return Readable.from(pack);
}

interface Walk {
  pack: Pack;
  upper: string;
  views: DiffViews;
  exclude: ((rel: string) => boolean) | undefined;
  /** `dev:ino` → first path, for hardlinks. */
  links: Map<string, string>;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function walk(w: Walk, dir: string): Promise<void> {
  const join = (name: string) => (dir === '' ? name : `${dir}/${name}`);
  const names = (await readdir(path.join(w.upper, dir))).filter((name) => w.exclude?.(join(name)) !== true);
  const whiteouts = new Set(await w.views.deleted(dir));
  const children: string[] = [];
  for (const name of names) {
    const info = await lstat(path.join(w.upper, dir, name));
    if (info.isCharacterDevice() && info.rdev === 0) whiteouts.add(name);
    else children.push(name);
  }
  // Whiteouts first, so a reader that applies entries in order still deletes before it adds.
  for (const name of [...whiteouts].sort(byBytes))
    await entry(w.pack, {
      name: join(WHITEOUT_PREFIX + name),
      type: 'file',
      mode: 0o644,
      mtime: new Date(0),
    });
  for (const name of children.sort(byBytes)) await emit(w, join(name));
}

async function emit(w: Walk, rel: string): Promise<void> {
  const full = path.join(w.upper, rel);
  const info = await lstat(full);
  const base: Header = {
    name: rel,
    // The full st_mode: tar-stream masks it with 0o7777, but would replace a bare 0 with 0644.
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    mtime: new Date(Math.floor(info.mtimeMs / 1000) * 1000),
  } as Header;
  if (info.isDirectory()) {
    await entry(w.pack, { ...base, name: `${rel}/`, type: 'directory' });
    await walk(w, rel);
  } else if (info.isSymbolicLink()) {
    await entry(w.pack, { ...base, type: 'symlink', linkname: await readlink(full) });
  } else if (info.nlink > 1 && w.links.has(`${info.dev}:${info.ino}`)) {
    await entry(w.pack, { ...base, type: 'link', linkname: w.links.get(`${info.dev}:${info.ino}`) ?? '' });
  } else if (info.isFile()) {
    if (info.nlink > 1) w.links.set(`${info.dev}:${info.ino}`, rel);
    const sink = packEntry(w.pack, { ...base, type: 'file', size: info.size });
    await pipeline(createReadStream(full), sink);
  } else if (info.isFIFO()) {
    await entry(w.pack, { ...base, type: 'fifo' });
  } else if (info.isCharacterDevice() || info.isBlockDevice()) {
    const type = info.isCharacterDevice() ? 'character-device' : 'block-device';
    await entry(w.pack, { ...base, type, devmajor: major(info.rdev), devminor: minor(info.rdev) });
  }
  // Sockets cannot be put in a tar; Docker drops them too.
}

/** Adds a body-less entry (an empty buffer, or tar-stream would wait for a file body forever). */
function entry(pack: Pack, header: Partial<Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    packBody(pack, header, Buffer.alloc(0), (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Linux `major()`/`minor()` of a dev_t. */
const major = (dev: number) => ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
const minor = (dev: number) => (dev & 0xff) | ((dev >> 12) & ~0xff);
