/** Store fixtures made in code: temp roots, layer tars (tar-stream), image configs, stored images. */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { chainIdsOf, openStore } from '../../../../../src/runtime/embedded/store/index.js';
import type { OpenStoreOptions, Store } from '../../../../../src/runtime/embedded/store/index.js';
import { tarUnpacker } from './tar-unpacker.js';

/** `sha256:<hex>` of bytes. */
export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const dirs: string[] = [];

/** A fresh private directory (mode 0700) removed by {@link cleanupDirs}. */
export function tempDir(prefix = 'devenv-store-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o700);
  dirs.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made. */
export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A tar entry for {@link makeTar}. */
export interface TarEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

/** A tar archive of `entries`, in order, with mtime 0 and uid/gid 0 unless given. */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? (entry.content === undefined ? 'directory' : 'file');
    const header = {
      name: entry.name,
      type,
      mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
    };
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => {
        if (error) reject(error);
        else resolve();
      };
      if (type === 'file') pack.entry(header, Buffer.from(entry.content ?? ''), callback);
      else pack.entry(header, callback);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A layer: its tar, the blob bytes (gzipped when asked) and the diff ID. */
export interface LayerFixture {
  tar: Buffer;
  blob: Buffer;
  diffId: string;
  digest: string;
  mediaType: string;
}

/** Builds a layer from files (`{"etc/x": "content"}`), gzipped unless `gzip` is false. */
export async function makeLayer(files: Record<string, string>, gzip = true): Promise<LayerFixture> {
  const entries: TarEntry[] = [];
  const dirsSeen = new Set<string>();
  for (const name of Object.keys(files).sort()) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!dirsSeen.has(dir)) entries.push({ name: dir });
      dirsSeen.add(dir);
    }
    entries.push({ name, content: files[name] ?? '' });
  }
  const tarBytes = await makeTar(entries);
  const blob = gzip ? gzipSync(tarBytes) : tarBytes;
  return {
    tar: tarBytes,
    blob,
    diffId: sha256(tarBytes),
    digest: sha256(blob),
    mediaType: gzip
      ? 'application/vnd.oci.image.layer.v1.tar+gzip'
      : 'application/vnd.oci.image.layer.v1.tar',
  };
}

/** Config bytes for an image of `layers`, with a distinguishing `comment`. */
export function makeConfig(
  diffIds: readonly string[],
  comment = 'test',
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      comment,
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'], Labels: { test: comment } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      ...extra,
    }),
  );
}

/** Opens a store in a fresh temp root with the tar stand-in unpacker. */
export async function freshStore(options: Partial<OpenStoreOptions> = {}): Promise<Store> {
  const root = path.join(tempDir(), 'store');
  return openStore({ root, unpack: tarUnpacker, ...options });
}

/**
 * Stores an image made of `layers` (through ingest, layer creation and an image record) and tags it
 * when `tag` is given; returns its ID and chain IDs.
 */
export async function storeImage(
  store: Store,
  layers: readonly LayerFixture[],
  options: { tag?: string; comment?: string } = {},
): Promise<{ id: string; chainIds: string[]; config: Buffer }> {
  const lease = await store.createLease('test');
  try {
    let parent: string | undefined;
    for (const layer of layers) {
      await store.blobs.ingest(
        { digest: layer.digest, size: layer.blob.length },
        () => streamOf(layer.blob),
        { lease },
      );
      const record = await store.layers.create({
        parent,
        blob: { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length },
        expectedDiffId: layer.diffId,
        lease,
      });
      parent = record.chainId;
    }
    const config = makeConfig(
      layers.map((l) => l.diffId),
      options.comment,
    );
    const record = await store.images.put({
      config,
      layers: layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.blob.length })),
      lease,
    });
    if (options.tag !== undefined) await store.refs.set([{ name: options.tag, id: record.id }]);
    return { id: record.id, chainIds: chainIdsOf(layers.map((l) => l.diffId)), config };
  } finally {
    await lease.release();
  }
}

/** A readable stream of `data`, in chunks of `chunkSize`. */
export function streamOf(data: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}
