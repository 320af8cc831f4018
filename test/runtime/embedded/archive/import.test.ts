/**
 * Import of every format the runtime meets (docs/image-formats.md#archives): legacy docker save (Docker <= 24),
 * OCI layouts as tar and as directory, nested multi-platform indexes; tags from RepoTags or the OCI
 * annotations; the image ID is the sha256 of the config bytes.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { importArchive, importLayoutDirectory } from '../../../../src/runtime/embedded/archive/index.js';
import { checkStore, chainIdsOf } from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import {
  cleanupDirs,
  freshStore,
  makeConfig,
  makeLayer,
  makeTar,
  sha256,
  tempDir,
} from '../store/helpers/fixtures.js';
import {
  blobEntry,
  descriptor,
  legacyParts,
  ociImage,
  ociLayout,
  ociLayoutParts,
} from './helpers/archives.js';

afterAll(cleanupDirs);

type How = 'stream' | 'file';

/** The archive of `entries` as the importer reads it: a stream, or a file read in place. */
async function archiveOf(how: How, entries: Parameters<typeof makeTar>[0]) {
  const bytes = await makeTar(entries);
  if (how === 'stream') return Readable.from([bytes]);
  const file = path.join(tempDir(), 'archive.tar');
  writeFileSync(file, bytes);
  return { file };
}

async function layers() {
  const base = await makeLayer({ 'etc/os-release': 'ID=test\n', 'bin/sh': '#!fake\n' }, false);
  const top = await makeLayer({ 'etc/motd': 'welcome\n' }, false);
  return { base, top };
}

describe.each(['stream', 'file'] as const)('importArchive from a %s', (how) => {
  const load = async (store: Store, entries: Parameters<typeof makeTar>[0]) =>
    importArchive(store, await archiveOf(how, entries));

  it('loads a legacy docker save archive: ID = sha256(config), tags from RepoTags, layers unpacked', async () => {
    const store = await freshStore();
    const { base, top } = await layers();
    const { entries, configs } = legacyParts([
      { layers: [base, top], tags: ['busybox:latest', 'localhost:5000/team/app:1'] },
    ]);
    const events: string[] = [];
    const result = await importArchive(store, await archiveOf(how, entries), {
      onEvent: (event) => {
        if (event.type === 'info') events.push(event.message);
      },
    });
    const id = sha256(configs[0] ?? '');
    expect(result).toEqual({
      images: [{ id, tags: ['busybox:latest', 'localhost:5000/team/app:1'] }],
      loaded: ['busybox:latest', 'localhost:5000/team/app:1'],
    });
    expect(events.join('\n')).toContain('Loaded image: busybox:latest');
    expect(await store.refs.resolve('busybox')).toBe(id);
    const [c0, c1] = chainIdsOf([base.diffId, top.diffId]);
    expect(readFileSync(path.join(store.layers.diffDir(c1 ?? ''), 'etc/motd'), 'utf8')).toBe('welcome\n');
    expect(readFileSync(path.join(store.layers.diffDir(c0 ?? ''), 'etc/os-release'), 'utf8')).toBe(
      'ID=test\n',
    );
    expect((await store.images.config(id)).bytes.equals(configs[0] ?? Buffer.alloc(0))).toBe(true);
    expect((await checkStore(store.root)).clean).toBe(true);
    expect(readdirSync(store.paths.tmpDir)).toEqual([]);
  });

  it('loads gzip layers in a docker save archive (docker load decompresses by magic)', async () => {
    const store = await freshStore();
    const gz = await makeLayer({ 'a.txt': 'gzipped\n' }, true);
    const result = await load(store, legacyParts([{ layers: [gz], tags: ['gz:1'] }]).entries);
    expect(result.loaded).toEqual(['gz:1']);
    expect(readFileSync(path.join(store.layers.diffDir(gz.diffId), 'a.txt'), 'utf8')).toBe('gzipped\n');
  });

  it('loads several images sharing a base layer, and an untagged one by ID', async () => {
    const store = await freshStore();
    const { base, top } = await layers();
    const { entries, configs } = legacyParts([
      { layers: [base], tags: ['base:1'], comment: 'base' },
      { layers: [base, top], comment: 'untagged' },
    ]);
    const result = await load(store, entries);
    expect(result.loaded).toEqual(['base:1', sha256(configs[1] ?? '')]);
    expect(await store.images.list()).toHaveLength(2);
  });

  it('follows the relative symlinks legacy archives use for a repeated layer', async () => {
    const store = await freshStore();
    const { base } = await layers();
    const empty = await makeLayer({}, false);
    const { entries } = legacyParts([{ layers: [base, empty], tags: ['dup:1'] }]);
    const emptyDir =
      entries.find((e) => e.name.endsWith('/layer.tar') && e.content === empty.blob)?.name.split('/')[0] ??
      '';
    const moved = entries.map((e) =>
      e.name === `${emptyDir}/layer.tar` ? { name: 'shared/layer.tar', content: empty.blob } : e,
    );
    moved.push({ name: `${emptyDir}/layer.tar`, type: 'symlink', linkname: '../shared/layer.tar' });
    expect((await load(store, moved)).loaded).toEqual(['dup:1']);
  });

  it('loads an OCI layout tar with tags from io.containerd.image.name, keeping the manifest', async () => {
    const store = await freshStore();
    const { base, top } = await layers();
    const gz = await makeLayer({ 'opt/x': 'x' }, true);
    const entries = ociLayout([{ layers: [base, top, gz], tags: ['docker.io/library/app:2'] }]);
    const result = await load(store, entries);
    expect(result.loaded).toEqual(['app:2']);
    const id = result.images[0]?.id ?? '';
    const record = await store.images.get(id);
    expect(record?.manifestDigests).toHaveLength(1);
    expect(await store.blobs.has(record?.manifestDigests[0] ?? '')).toBe(true);
    expect(record?.layers.map((l) => l.mediaType)).toEqual([base.mediaType, top.mediaType, gz.mediaType]);
  });

  it('an OCI ref.name that is only a tag names no repository: the image loads untagged', async () => {
    const store = await freshStore();
    const { base } = await layers();
    const built = ociImage({ layers: [base] });
    const manifest = descriptor('application/vnd.oci.image.manifest.v1+json', built.manifest, {
      annotations: { 'org.opencontainers.image.ref.name': 'latest' },
    });
    const result = await load(store, ociLayoutParts([manifest], built.entries));
    expect(result.loaded).toEqual([sha256(built.config)]);
  });

  it('picks linux/<arch> from a nested multi-platform index and skips attestations', async () => {
    const store = await freshStore();
    const amd = ociImage({ layers: [(await layers()).base], comment: 'amd64' });
    const arm = ociImage({ layers: [(await layers()).top], comment: 'arm64' });
    const attestation = Buffer.from('{"schemaVersion":2}');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          descriptor('application/vnd.oci.image.manifest.v1+json', arm.manifest, {
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          }),
          descriptor('application/vnd.oci.image.manifest.v1+json', amd.manifest, {
            platform: { os: 'linux', architecture: 'amd64' },
          }),
          descriptor('application/vnd.oci.image.manifest.v1+json', attestation, {
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          }),
        ],
      }),
    );
    const top = descriptor('application/vnd.oci.image.index.v1+json', index, {
      annotations: { 'io.containerd.image.name': 'multi:1' },
    });
    const entries = ociLayoutParts([top], [...amd.entries, ...arm.entries, blobEntry(index)]);
    const onAmd = await importArchive(await freshStore(), await archiveOf(how, entries), {
      architecture: 'amd64',
    });
    expect(onAmd.images).toEqual([{ id: sha256(amd.config), tags: ['multi:1'] }]);
    const onArm = await importArchive(store, await archiveOf(how, entries), {
      architecture: 'arm64',
    });
    expect(onArm.images).toEqual([{ id: sha256(arm.config), tags: ['multi:1'] }]);
    await expect(
      importArchive(await freshStore(), await archiveOf(how, entries), { architecture: 's390x' }),
    ).rejects.toThrow(/has no image for linux\/s390x \(found: linux\/arm64\/v8, linux\/amd64\)/);
  });

  it('loads an OCI layout directory in place, leaving it unchanged', async () => {
    const store = await freshStore();
    const { base, top } = await layers();
    const dir = tempDir();
    for (const entry of ociLayout([{ layers: [base, top], tags: ['dir:1'] }])) {
      mkdirSync(path.dirname(path.join(dir, entry.name)), { recursive: true });
      writeFileSync(path.join(dir, entry.name), entry.content ?? '');
    }
    const before = readdirSync(path.join(dir, 'blobs/sha256')).sort();
    const result = await importLayoutDirectory(store, dir);
    expect(result.loaded).toEqual(['dir:1']);
    expect(readdirSync(path.join(dir, 'blobs/sha256')).sort()).toEqual(before);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it('reloading the same archive is idempotent', async () => {
    const store = await freshStore();
    const { base } = await layers();
    const entries = legacyParts([
      { layers: [base], tags: ['again:1'], config: makeConfig([base.diffId], 'again') },
    ]).entries;
    const first = await load(store, entries);
    const second = await load(store, entries);
    expect(second).toEqual(first);
    expect(await store.images.list()).toHaveLength(1);
  });
});
