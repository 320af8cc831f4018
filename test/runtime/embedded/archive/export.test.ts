/**
 * Export in the combined Docker >= 25 docker save + OCI layout shape (docs/image-formats.md#archives): entries,
 * JSON documents, layers as stored (gzip as pulled, uncompressed ones whose digest is the diff ID),
 * determinism, the .partial file
 * discipline (C4), and export → import keeping the image ID.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exportImages,
  exportImagesToFile,
  importArchive,
} from '../../../../src/runtime/embedded/archive/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import {
  cleanupDirs,
  freshStore,
  makeLayer,
  sha256,
  storeImage,
  tempDir,
} from '../store/helpers/fixtures.js';

afterAll(cleanupDirs);

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  data: Buffer;
}

async function readTar(bytes: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const h = entry.header;
    entries.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime.getTime(),
      data: Buffer.concat(chunks),
    });
  }
  return entries;
}

async function exportToBuffer(store: Store, refs: string[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exportImages(store, refs, out);
  return Buffer.concat(chunks);
}

async function twoLayerImage() {
  const store = await freshStore();
  const base = await makeLayer({ 'etc/os-release': 'ID=test\n' }, true);
  const top = await makeLayer({ 'etc/motd': 'hi\n' }, false);
  const image = await storeImage(store, [base, top], { tag: 'localhost:5000/team/app:1.0' });
  return { store, base, top, ...image };
}

describe('exportImages', () => {
  it('writes the combined docker save + OCI layout shape, deterministic and sorted', async () => {
    const { store, base, top, id, config } = await twoLayerImage();
    const bytes = await exportToBuffer(store, ['localhost:5000/team/app:1.0']);
    const entries = await readTar(bytes);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names.slice(0, 2)).toEqual(['blobs/', 'blobs/sha256/']);
    expect(names.slice(-4)).toEqual(['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    for (const e of entries) {
      expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 0]);
      expect(e.mode).toBe(e.type === 'directory' ? 0o755 : 0o644);
      if (e.name.startsWith('blobs/sha256/') && e.type === 'file')
        expect(sha256(e.data)).toBe(`sha256:${e.name.slice(13)}`);
    }
    const byName = new Map(entries.map((e) => [e.name, e.data]));
    const json = (name: string): unknown => JSON.parse(String(byName.get(name)));
    expect(json('manifest.json')).toEqual([
      {
        Config: `blobs/sha256/${id.slice(7)}`,
        RepoTags: ['localhost:5000/team/app:1.0'],
        Layers: [`blobs/sha256/${base.digest.slice(7)}`, `blobs/sha256/${top.diffId.slice(7)}`],
      },
    ]);
    expect(json('repositories')).toEqual({ 'localhost:5000/team/app': { '1.0': top.diffId.slice(7) } });
    expect(json('oci-layout')).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = json('index.json') as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json' });
    expect(index.manifests[0]?.annotations).toEqual({
      'io.containerd.image.name': 'localhost:5000/team/app:1.0',
      'org.opencontainers.image.ref.name': '1.0',
    });
    const manifest = JSON.parse(
      String(byName.get(`blobs/sha256/${index.manifests[0]?.digest.slice(7) ?? ''}`)),
    ) as unknown;
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: config.length },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: base.digest,
          size: base.blob.length,
        },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: top.diffId, size: top.tar.length },
      ],
    });
    // The gzip-stored base layer goes out as stored, not decompressed.
    expect(byName.get(`blobs/sha256/${base.digest.slice(7)}`)?.equals(base.blob)).toBe(true);
    expect(byName.has(`blobs/sha256/${base.diffId.slice(7)}`)).toBe(false);
    expect(byName.get(`blobs/sha256/${id.slice(7)}`)?.equals(config)).toBe(true);
    expect((await exportToBuffer(store, ['localhost:5000/team/app:1.0'])).equals(bytes)).toBe(true);
  });

  it('an image exported by ID carries no tags; several images share their blobs once', async () => {
    const store = await freshStore();
    const base = await makeLayer({ 'a.txt': 'a' });
    const one = await storeImage(store, [base], { tag: 'one:1', comment: 'one' });
    const two = await storeImage(store, [base, await makeLayer({ 'b.txt': 'b' })], {
      tag: 'two:1',
      comment: 'two',
    });
    const entries = await readTar(await exportToBuffer(store, [one.id, 'two:1']));
    const manifestJson = JSON.parse(String(entries.find((e) => e.name === 'manifest.json')?.data)) as {
      RepoTags: unknown;
    }[];
    expect(manifestJson.map((m) => m.RepoTags)).toEqual([null, ['two:1']]);
    expect(entries.filter((e) => e.name === `blobs/sha256/${base.digest.slice(7)}`)).toHaveLength(1);
    expect(two.id).not.toBe(one.id);
  });

  it('round-trips: export then import into another store keeps the ID, the tag and the files', async () => {
    const { store, id, chainIds } = await twoLayerImage();
    const bytes = await exportToBuffer(store, ['localhost:5000/team/app:1.0']);
    const other = await freshStore();
    const result = await importArchive(other, Readable.from([bytes]));
    expect(result.images).toEqual([{ id, tags: ['localhost:5000/team/app:1.0'] }]);
    const top = chainIds[1] ?? '';
    expect(readFileSync(path.join(other.layers.diffDir(top), 'etc/motd'), 'utf8')).toBe('hi\n');
    expect(
      createHash('sha256')
        .update(await exportToBuffer(other, [id]))
        .digest('hex'),
    ).toBe(
      createHash('sha256')
        .update(await exportToBuffer(store, [id]))
        .digest('hex'),
    );
  });

  it('refuses an unknown reference before writing anything', async () => {
    const store = await freshStore();
    const file = path.join(tempDir(), 'out.tar');
    await expect(exportImagesToFile(store, ['nothing:here'], file)).rejects.toMatchObject({
      code: 'DEVENV_NOT_FOUND',
    });
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });
});

describe('exportImagesToFile', () => {
  it('writes FILE.partial and renames it when complete', async () => {
    const { store } = await twoLayerImage();
    const file = path.join(tempDir(), 'app.tar');
    const plan = await exportImagesToFile(store, ['localhost:5000/team/app:1.0'], file);
    expect(readdirSync(path.dirname(file))).toEqual(['app.tar']);
    expect(plan.images[0]?.tags).toEqual(['localhost:5000/team/app:1.0']);
    expect((await readTar(readFileSync(file))).some((e) => e.name === 'manifest.json')).toBe(true);
  });

  it('writes the same entries as the streamed export, and the same bytes every time', async () => {
    const { store } = await twoLayerImage();
    const ref = 'localhost:5000/team/app:1.0';
    const first = path.join(tempDir(), 'first.tar');
    const second = path.join(tempDir(), 'second.tar');
    await exportImagesToFile(store, [ref], first);
    await exportImagesToFile(store, [ref], second);
    const bytes = readFileSync(first);
    expect(bytes.equals(readFileSync(second))).toBe(true);
    expect(bytes.length % 512).toBe(0);
    expect(bytes.subarray(-1024).every((b) => b === 0)).toBe(true);
    const fromFile = await readTar(bytes);
    const fromStream = await readTar(await exportToBuffer(store, [ref]));
    expect(fromFile.length).toBeGreaterThan(5);
    expect(fromFile).toEqual(fromStream);
  });

  it('a layer blob that fails to verify aborts the export: no file, no partial, the old file kept', async () => {
    const { store, base } = await twoLayerImage();
    const file = path.join(tempDir(), 'app.tar');
    writeFileSync(file, 'previous archive');
    const blob = store.blobs.path(base.digest);
    chmodSync(blob, 0o644);
    const { gzipSync } = await import('node:zlib');
    writeFileSync(
      blob,
      gzipSync(Buffer.concat([base.tar.subarray(0, base.tar.length - 1), Buffer.from([1])])),
    );
    await expect(exportImagesToFile(store, ['localhost:5000/team/app:1.0'], file)).rejects.toThrow(
      /hashes to sha256:[a-f0-9]{64}/,
    );
    expect(readFileSync(file, 'utf8')).toBe('previous archive');
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
