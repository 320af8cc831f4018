/**
 * Root filesystem trees reduced to comparable lines: path, type, mode, uid, gid, size, content sha256
 * and link target, from a directory on disk or from a tar (such as `docker export`). Hardlinks count
 * as the regular file they share content with, so a tar's link entries and a disk's shared inodes
 * compare equal.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

/** path → "type mode uid:gid size sha link". */
export type Tree = Map<string, string>;

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function line(
  type: string,
  mode: number,
  uid: number,
  gid: number,
  size: number,
  sha: string,
  link: string,
): string {
  return `${type} ${(mode & 0o7777).toString(8)} ${uid}:${gid} ${size} ${sha} ${link}`;
}

/** The tree of a directory. */
export async function treeOfDir(root: string): Promise<Tree> {
  const tree: Tree = new Map();
  async function walk(relative: string): Promise<void> {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      const full = path.join(root, rel);
      const info = await lstat(full);
      if (info.isDirectory()) {
        tree.set(rel, line('dir', info.mode, info.uid, info.gid, 0, '', ''));
        await walk(rel);
      } else if (info.isSymbolicLink())
        tree.set(rel, line('symlink', 0o777, info.uid, info.gid, 0, '', await readlink(full)));
      else if (info.isFile())
        tree.set(rel, line('file', info.mode, info.uid, info.gid, info.size, await sha256File(full), ''));
      else {
        const type = info.isCharacterDevice() ? 'char' : info.isBlockDevice() ? 'block' : 'fifo';
        tree.set(rel, line(type, info.mode, info.uid, info.gid, 0, '', `${info.rdev}`));
      }
    }
  }
  await walk('');
  return tree;
}

/** The tree of a tar stream. */
export async function treeOfTar(input: Readable): Promise<Tree> {
  const tree: Tree = new Map();
  const extract = tar.extract();
  input.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    const name = h.name.replace(/^\.?\//, '').replace(/\/$/, '');
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of entry) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    if (name === '' || name === '.') continue;
    if (h.type === 'directory') tree.set(name, line('dir', h.mode, h.uid, h.gid, 0, '', ''));
    else if (h.type === 'symlink') tree.set(name, line('symlink', 0o777, h.uid, h.gid, 0, '', h.linkname));
    else if (h.type === 'link') {
      const target = tree.get(h.linkname.replace(/^\.?\//, ''));
      if (target !== undefined) tree.set(name, target);
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      tree.set(name, line('file', h.mode, h.uid, h.gid, size, hash.digest('hex'), ''));
    } else {
      // Linux's old-style dev_t for small numbers, the same value lstat reports as rdev.
      const rdev = h.devmajor * 256 + h.devminor;
      const type = h.type === 'character-device' ? 'char' : h.type === 'block-device' ? 'block' : 'fifo';
      tree.set(name, line(type, h.mode, h.uid, h.gid, 0, '', `${rdev}`));
    }
  }
  return tree;
}

/** The tree without `excluded` paths and everything under them. */
export function without(tree: Tree, excluded: readonly string[]): Tree {
  return new Map([...tree].filter(([name]) => !excluded.some((e) => name === e || name.startsWith(`${e}/`))));
}

/** A sha256 over the sorted lines. */
export function treeHash(tree: Tree): string {
  const hash = createHash('sha256');
  for (const name of [...tree.keys()].sort()) hash.update(`${name} ${tree.get(name) ?? ''}\n`);
  return hash.digest('hex');
}

/** Names whose lines differ (at most `limit`), for failure messages. */
export function differences(a: Tree, b: Tree, limit = 10): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  return names
    .filter((n) => a.get(n) !== b.get(n))
    .slice(0, limit)
    .map((n) => `${n}: ${a.get(n) ?? '(absent)'} <> ${b.get(n) ?? '(absent)'}`);
}
