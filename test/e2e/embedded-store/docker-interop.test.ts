/**
 * The store and its archives against the real thing (docs/testing.md): `docker save`
 * from Docker 20.10 (legacy format) imports and unpacks to the same tree as `docker export`; chain
 * IDs equal Docker's layerdb; our export loads with `docker load` and runs; skopeo and umoci read
 * our OCI layout and umoci unpacks the same tree; export → import keeps the image ID.
 */
import { createReadStream, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { exportImagesToFile, importArchive } from '../../../src/runtime/embedded/archive/index.js';
import { chainIdsOf, checkStore, openStore } from '../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../src/runtime/embedded/store/index.js';
import { cleanupDirs, tempDir } from '../../runtime/embedded/store/helpers/fixtures.js';
import { tarUnpacker } from '../../runtime/embedded/store/helpers/tar-unpacker.js';
import { differences, treeHash, treeOfDir, treeOfTar, without } from './tree-hash.js';
import { lacks } from '../needs.js';

const services = inject('services');
const dockerEnv = { DOCKER_HOST: services.dockerHost };
const docker = (args: string[]) => execa('docker', args, { env: dockerEnv });
/** What Docker's init layer adds to every container (moby daemon/initlayer) and the mount points. */
const INIT_LAYER = [
  '.dockerenv',
  'etc/hostname',
  'etc/hosts',
  'etc/resolv.conf',
  'etc/mtab',
  'dev',
  'proc',
  'sys',
];

afterAll(cleanupDirs);

async function newStore(): Promise<Store> {
  return openStore({ root: path.join(tempDir('devenv-e2e-store-'), 'store'), unpack: tarUnpacker });
}

/** `docker save IMAGE` into a file. */
async function dockerSave(image: string): Promise<string> {
  const file = path.join(tempDir(), 'saved.tar');
  await docker(['save', '-o', file, image]);
  return file;
}

/** The tree of `docker export` of a container created (not started) from `image`. */
async function dockerExportTree(image: string) {
  const { stdout: id } = await docker(['create', '--network', 'none', image, 'true']);
  try {
    const exported = execa('docker', ['export', id], { env: dockerEnv, encoding: 'buffer', buffer: false });
    const tree = await treeOfTar(exported.stdout);
    await exported;
    return tree;
  } finally {
    await docker(['rm', '-f', id]);
  }
}

/** The single-layer image's unpacked tree in our store. */
async function storeTree(store: Store, id: string) {
  const record = await store.images.get(id);
  const chain = chainIdsOf(record?.layers.map((l) => l.diffId) ?? []);
  expect(chain).toHaveLength(1);
  return treeOfDir(store.layers.diffDir(chain[0] ?? ''));
}

const images = [
  ['busybox', services.busyboxImage],
  ['debian', services.debianImage],
] as const;

describe.skipIf(lacks('docker'))('embedded store ⇄ Docker 20.10', () => {
  it.each(images.filter(([, image]) => image !== ''))(
    'docker save of %s imports and unpacks to the same tree as docker export',
    async (_name, image) => {
      const store = await newStore();
      const saved = await dockerSave(image);
      const result = await importArchive(store, createReadStream(saved));
      const { stdout: dockerId } = await docker(['inspect', '--format', '{{.Id}}', image]);
      expect(result.images).toEqual([{ id: dockerId, tags: [image] }]);
      expect(await store.refs.resolve(image)).toBe(dockerId);
      const ours = without(await storeTree(store, dockerId), INIT_LAYER);
      const theirs = without(await dockerExportTree(image), INIT_LAYER);
      expect(ours.size).toBeGreaterThan(10);
      expect(differences(ours, theirs)).toEqual([]);
      expect(treeHash(ours)).toBe(treeHash(theirs));
      expect((await checkStore(store.root)).clean).toBe(true);
    },
  );

  it("chain IDs of a three-layer image equal Docker's layerdb, diff IDs equal RootFS.Layers", async () => {
    const context = tempDir();
    writeFileSync(
      path.join(context, 'Dockerfile'),
      `FROM ${services.busyboxImage}\nRUN echo a > /a\nRUN echo b > /b\n`,
    );
    const tag = 'devenv-e2e/three-layers:1';
    await execa('docker', ['build', '--network', 'none', '-q', '-t', tag, context], {
      env: { ...dockerEnv, DOCKER_BUILDKIT: '0' },
    });
    const diffIds = JSON.parse(
      (await docker(['inspect', '--format', '{{json .RootFS.Layers}}', tag])).stdout,
    ) as string[];
    expect(diffIds).toHaveLength(3);
    const store = await newStore();
    const { images: loaded } = await importArchive(store, createReadStream(await dockerSave(tag)));
    const record = await store.images.get(loaded[0]?.id ?? '');
    expect(record?.layers.map((l) => l.diffId)).toEqual(diffIds);
    const layerdb = path.join(services.root, 'docker', 'image', 'overlay2', 'layerdb', 'sha256');
    for (const chainId of chainIdsOf(diffIds)) {
      expect(existsSync(path.join(layerdb, chainId.slice(7))), `${chainId} in Docker's layerdb`).toBe(true);
      expect(await store.layers.get(chainId)).toBeDefined();
    }
    await docker(['rmi', tag]);
  });

  it('an image exported by the store loads with docker load and runs', async () => {
    const store = await newStore();
    const { images: loaded } = await importArchive(
      store,
      createReadStream(await dockerSave(services.busyboxImage)),
    );
    const id = loaded[0]?.id ?? '';
    const tag = 'devenv-e2e/exported:1';
    await store.refs.set([{ name: tag, id }]);
    const file = path.join(tempDir(), 'exported.tar');
    await exportImagesToFile(store, [tag], file);
    await docker(['rmi', '-f', tag]).catch(() => undefined);
    const load = await execa('docker', ['load', '-i', file], { env: dockerEnv });
    expect(load.stdout).toContain(`Loaded image: ${tag}`);
    expect((await docker(['inspect', '--format', '{{.Id}}', tag])).stdout).toBe(id);
    const run = await docker(['run', '--rm', '--network', 'none', tag, 'cat', '/etc/passwd']);
    expect(run.stdout).toContain('root:x:0:0:root:/root:/bin/sh');
    await docker(['rmi', tag]);
  });

  it('skopeo and umoci read the OCI layout of our export; umoci unpacks the same tree', async () => {
    const store = await newStore();
    const source = services.debianImage !== '' ? services.debianImage : services.busyboxImage;
    const { images: loaded } = await importArchive(store, createReadStream(await dockerSave(source)));
    const id = loaded[0]?.id ?? '';
    const file = path.join(tempDir(), 'oci.tar');
    const plan = await exportImagesToFile(store, [source], file);
    expect(plan.images).toEqual([{ id, tags: [source] }]);

    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci-archive:${file}`])).stdout) as {
      Layers: string[];
      Digest: string;
    };
    const record = await store.images.get(id);
    expect(inspected.Layers).toEqual(record?.layers.map((l) => l.diffId));
    const config = JSON.parse(
      (await execa('skopeo', ['inspect', '--config', `oci-archive:${file}`])).stdout,
    ) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual(inspected.Layers);

    const layout = tempDir();
    await execa('tar', ['-xf', file, '-C', layout]);
    const tag = source.slice(source.lastIndexOf(':') + 1);
    const bundle = path.join(tempDir(), 'bundle');
    await execa('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    expect(readdirSync(bundle)).toContain('rootfs');
    const ours = await storeTree(store, id);
    const umoci = await treeOfDir(path.join(bundle, 'rootfs'));
    expect(differences(ours, umoci)).toEqual([]);
    expect(treeHash(umoci)).toBe(treeHash(ours));
  });

  it('export → import into another store keeps the image ID and the tree', async () => {
    const first = await newStore();
    const { images: loaded } = await importArchive(
      first,
      createReadStream(await dockerSave(services.busyboxImage)),
    );
    const id = loaded[0]?.id ?? '';
    const file = path.join(tempDir(), 'again.tar');
    await exportImagesToFile(first, [services.busyboxImage], file);
    const second = await newStore();
    const again = await importArchive(second, createReadStream(file));
    expect(again.images).toEqual([{ id, tags: [services.busyboxImage] }]);
    expect(treeHash(await storeTree(second, id))).toBe(treeHash(await storeTree(first, id)));
  });
});
