/**
 * What an image is, reduced to facts two builders can be compared on: its flattened file tree and the
 * parts of its config a user sees. Read from a docker-save archive (`devenv save IMAGE` writes one on
 * every runtime), with the product's own archive reader, and the layers applied in order the way an
 * overlay would: `.wh.NAME` removes NAME of the layers below, `.wh..wh..opq` hides a directory's lower
 * contents. Modification times are left out: two builds never agree on them.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { normalizeName } from '../../src/image/archive/archive-index.js';
import { planDockerArchive } from '../../src/image/archive/read-docker.js';
import { indexTar } from '../../src/image/archive/tar-index.js';
import { decompressByMagic } from '../../src/image/layer/decompress-file.js';
import type { CliResult } from './cli.js';
import { rawTarEntries } from './raw-tar.js';
import type { RawTarEntry } from './raw-tar.js';

/** path → "type mode uid:gid size sha256 link xattrs [hardlinked with …]". */
export type FileTree = Map<string, string>;

/** The config of an image as a user meets it, plus its layer count and history. */
export interface ConfigFacts {
  Env: string[];
  User: string;
  WorkingDir: string;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  ExposedPorts: string[];
  Volumes: string[];
  Labels: Record<string, string>;
  Shell: string[] | null;
  StopSignal: string;
  layers: number;
  history: { createdBy: string; emptyLayer: boolean }[];
}

/** One layer as stored: the paths it names (whiteouts included) and its uncompressed size. */
export interface LayerFacts {
  paths: string[];
  bytes: number;
}

export interface ImageFacts {
  tree: FileTree;
  config: ConfigFacts;
  layers: LayerFacts[];
}

interface Node {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha: string;
  link: string;
  xattrs: string;
  /** Shared by the names of one hardlinked file. */
  inode: number;
}

const TYPES: Record<string, string> = {
  '0': 'file',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

function removeSubtree(tree: Map<string, Node>, name: string, keepSelf = false): void {
  for (const key of [...tree.keys()])
    if ((key === name && !keepSelf) || key.startsWith(name === '' ? '' : `${name}/`)) tree.delete(key);
}

let inodes = 0;

function nodeOf(entry: RawTarEntry, tree: Map<string, Node>): Node {
  if (entry.type === '1') {
    const target = tree.get(normalizeName(entry.linkname));
    if (target !== undefined) return target;
    return { ...blank(), type: 'hardlink-to-missing', link: entry.linkname, inode: ++inodes };
  }
  const type = TYPES[entry.type] ?? `type-${entry.type}`;
  const xattrs = [...entry.xattrs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value.toString('hex')}`)
    .join(',');
  return {
    type,
    // A symlink's own permission bits mean nothing on Linux; writers disagree on them.
    mode: type === 'symlink' ? 0o777 : entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    size: type === 'file' ? entry.body.length : 0,
    sha: type === 'file' ? createHash('sha256').update(entry.body).digest('hex') : '',
    link:
      type === 'symlink'
        ? entry.linkname
        : type === 'char' || type === 'block'
          ? `${entry.devmajor},${entry.devminor}`
          : '',
    xattrs,
    inode: ++inodes,
  };
}

function blank(): Node {
  return { type: '', mode: 0, uid: 0, gid: 0, size: 0, sha: '', link: '', xattrs: '', inode: 0 };
}

/** Applies one layer tar on `tree`: its whiteouts hide what is below, then its entries land in order. */
function applyLayer(tree: Map<string, Node>, tar: Buffer): string[] {
  const entries = [...rawTarEntries(tar)].map((entry) => ({ ...entry, rel: normalizeName(entry.name) }));
  for (const { rel } of entries) {
    const base = path.posix.basename(rel);
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base === '.wh..wh..opq') removeSubtree(tree, dir, true);
    else if (base.startsWith('.wh.')) removeSubtree(tree, path.posix.join(dir, base.slice(4)));
  }
  for (const entry of entries) {
    if (entry.rel === '' || path.posix.basename(entry.rel).startsWith('.wh.')) continue;
    const node = nodeOf(entry, tree);
    const existing = tree.get(entry.rel);
    // A directory over a directory keeps what is inside; anything else replaces the whole subtree.
    if (existing !== undefined && !(existing.type === 'dir' && node.type === 'dir'))
      removeSubtree(tree, entry.rel);
    tree.set(entry.rel, node);
  }
  return entries.map((entry) => entry.rel);
}

function lines(nodes: Map<string, Node>): FileTree {
  const names = new Map<number, string[]>();
  for (const [name, node] of nodes) names.set(node.inode, [...(names.get(node.inode) ?? []), name]);
  const tree: FileTree = new Map();
  for (const name of [...nodes.keys()].sort()) {
    const n = nodes.get(name) ?? blank();
    const others = (names.get(n.inode) ?? []).filter((other) => other !== name).sort();
    const linked = others.length === 0 ? '' : ` hardlinked with ${others.join(',')}`;
    tree.set(
      name,
      `${n.type} ${n.mode.toString(8)} ${n.uid}:${n.gid} ${n.size} ${n.sha} ${n.link} ${n.xattrs}${linked}`,
    );
  }
  return tree;
}

interface RawConfig {
  config?: Record<string, unknown> | null;
  rootfs?: { diff_ids?: string[] };
  history?: { created_by?: string; empty_layer?: boolean }[];
}

function configFacts(bytes: Buffer): ConfigFacts {
  const raw = JSON.parse(bytes.toString('utf8')) as RawConfig;
  const c = raw.config ?? {};
  const list = (key: string) => (Array.isArray(c[key]) ? (c[key] as string[]) : null);
  const keys = (key: string) => Object.keys((c[key] as Record<string, unknown> | null) ?? {}).sort();
  const str = (key: string) => (typeof c[key] === 'string' ? c[key] : '');
  return {
    Env: list('Env') ?? [],
    User: str('User'),
    WorkingDir: str('WorkingDir'),
    Cmd: list('Cmd'),
    Entrypoint: list('Entrypoint'),
    ExposedPorts: keys('ExposedPorts'),
    Volumes: keys('Volumes'),
    Labels: (c['Labels'] as Record<string, string> | null) ?? {},
    Shell: list('Shell'),
    StopSignal: str('StopSignal'),
    layers: raw.rootfs?.diff_ids?.length ?? 0,
    history: (raw.history ?? []).map((h) => ({
      createdBy: h.created_by ?? '',
      emptyLayer: h.empty_layer === true,
    })),
  };
}

/** The facts of the one image in a docker-save archive. */
export async function readImageArchive(file: string): Promise<ImageFacts> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'devenv-image-tree-'));
  try {
    const index = await indexTar(createReadStream(file), scratch);
    const [image] = await planDockerArchive(index);
    if (image === undefined) throw new Error(`${file} holds no image`);
    const nodes = new Map<string, Node>();
    const layers: LayerFacts[] = [];
    for (const layer of image.layers) {
      const tar = await buffer(await decompressByMagic(layer.entry.file));
      layers.push({ paths: applyLayer(nodes, tar), bytes: tar.length });
    }
    return { tree: lines(nodes), config: configFacts(image.config), layers };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Anyone who can run the CLI: a runtime user of the conformance tests. */
export interface CliUser {
  run(cwd: string, args: readonly string[]): Promise<CliResult>;
}

/** `devenv save IMAGE` as `user` (from a folder with no project), read back with {@link readImageArchive}. */
export async function savedImageFacts(user: CliUser, image: string): Promise<ImageFacts> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-image-save-'));
  try {
    const file = path.join(dir, 'image.tar');
    const saved = await user.run(dir, ['save', image, '-o', file]);
    if (saved.exitCode !== 0)
      throw new Error(`devenv save ${image} exited ${saved.exitCode}: ${saved.stderr}`);
    return await readImageArchive(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first `limit` paths whose lines differ, as "path: left <> right", for failure messages. */
export function treeDifferences(left: FileTree, right: FileTree, limit = 15): string[] {
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  return names
    .filter((name) => left.get(name) !== right.get(name))
    .slice(0, limit)
    .map((name) => `${name}:\n    ${left.get(name) ?? '(absent)'}\n <> ${right.get(name) ?? '(absent)'}`);
}
