/**
 * Image commands on the embedded runtime through the built CLI, against the real loopback registry:
 * pull (busybox and Debian, the Debian tree equal to what Docker runs), images, tag, rmi, prune; and
 * the commands that need containers refusing plainly.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { chainIdsOf } from '../../../src/runtime/embedded/store/index.js';
import { differences, treeHash, treeOfDir, treeOfTar, without } from '../embedded-store/tree-hash.js';
import {
  cleanupSandboxes,
  devenv,
  devenvJson,
  docker,
  imageRecord,
  layeredImage,
  noRegistry,
  sandbox,
  services,
} from './env.js';
import type { ListedImage } from './env.js';
import { lacks } from '../needs.js';

afterAll(cleanupSandboxes);

/** What Docker adds to every container (moby's init layer) and its mount points. */
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

async function dockerExportTree(image: string) {
  const id = await docker(['create', '--network', 'none', image, 'true']);
  try {
    const exported = execa('docker', ['export', id], {
      env: { DOCKER_HOST: services.dockerHost },
      encoding: 'buffer',
      buffer: false,
    });
    const tree = await treeOfTar(exported.stdout);
    await exported;
    return tree;
  } finally {
    await docker(['rm', '-f', id]);
  }
}

describe.skipIf(noRegistry)('embedded runtime: image commands', () => {
  it("pulls busybox and Debian; images lists them with sizes; IDs equal Docker's", async () => {
    const box = sandbox();
    const busybox = await devenv(box, ['pull', services.busyboxImage]);
    expect(busybox.exitCode, busybox.stderr).toBe(0);
    expect(busybox.stderr).toMatch(/^[0-9a-f]{12}: download complete$/m);
    expect(busybox.stderr).toMatch(/^[0-9a-f]{12}: extract complete$/m);
    const images = [services.busyboxImage, ...(services.debianImage === '' ? [] : [services.debianImage])];
    if (services.debianImage !== '') {
      const debian = await devenvJson<{ id: string; digests: string[] }>(box, ['pull', services.debianImage]);
      expect(debian.digests).toEqual([
        expect.stringMatching(/^127\.0\.0\.1:\d+\/devenv-test\/debian@sha256:/),
      ]);
    }
    const listed = await devenvJson<ListedImage[]>(box, ['images']);
    for (const image of images) {
      const entry = listed.find((i) => i.tags.includes(image));
      expect(entry, image).toBeDefined();
      expect(entry?.size).toBeGreaterThan(1_000_000);
      expect(entry?.id).toBe(await docker(['inspect', '--format', '{{.Id}}', image]));
    }
    const table = await devenv(box, ['images']);
    expect(table.stdout).toMatch(/^REFERENCE\s+IMAGE ID\s+CREATED\s+SIZE$/m);
    const row = table.stdout.split('\n').find((line) => line.startsWith(`${services.busyboxImage} `));
    expect(row).toMatch(/\s[0-9a-f]{12}\s.*\s\d(\.\d)?MB$/);
    // Pulling again reuses everything.
    const again = await devenv(box, ['pull', services.busyboxImage]);
    expect(again.stderr).toMatch(/: already there$/m);
    expect(again.stderr).not.toMatch(/download complete/);
  });

  it.skipIf(lacks('debian'))(
    'the pulled Debian tree equals the tree of a container of the same image in Docker',
    async () => {
      const box = sandbox();
      const { id } = await devenvJson<{ id: string }>(box, ['pull', services.debianImage]);
      const chain = chainIdsOf(imageRecord(box, id).layers.map((l) => l.diffId));
      expect(chain).toHaveLength(1);
      const ours = without(
        await treeOfDir(path.join(box.root, 'layers', chain[0]!.slice(7), 'diff')),
        INIT_LAYER,
      );
      const theirs = without(await dockerExportTree(services.debianImage), INIT_LAYER);
      expect(ours.size).toBeGreaterThan(3000);
      expect(differences(ours, theirs)).toEqual([]);
      expect(treeHash(ours)).toBe(treeHash(theirs));
    },
  );

  it('a two-layer image: the child layer goes through overlay; its merged tree has both layers', async () => {
    const box = sandbox();
    const image = await layeredImage();
    const { id } = await devenvJson<{ id: string }>(box, ['pull', image]);
    expect(id).toBe(await docker(['inspect', '--format', '{{.Id}}', image]));
    const chain = chainIdsOf(imageRecord(box, id).layers.map((l) => l.diffId));
    expect(chain).toHaveLength(2);
    const top = path.join(box.root, 'layers', chain[1]!.slice(7), 'diff');
    expect(readdirSync(top)).toEqual(['etc']);
    expect(existsSync(path.join(top, 'etc', 'plus'))).toBe(true);
  });

  it('a store in flatten mode (where overlay cannot mount) keeps every layer as a full snapshot', async () => {
    const box = sandbox();
    mkdirSync(box.root, { mode: 0o700 });
    // What storeLayerMode records on a filesystem without overlayfs (NFS, old kernels, rootless).
    writeFileSync(path.join(box.root, 'layer-mode.json'), '{"mode":"flatten"}\n');
    const image = await layeredImage();
    const { id } = await devenvJson<{ id: string }>(box, ['pull', image]);
    const chain = chainIdsOf(imageRecord(box, id).layers.map((l) => l.diffId));
    const [base, top] = chain.map((c) => treeOfDir(path.join(box.root, 'layers', c.slice(7), 'diff')));
    const baseTree = await base!;
    const topTree = await top!;
    expect(topTree.has('etc/plus')).toBe(true);
    expect(topTree.has('bin/busybox')).toBe(true);
    expect(differences(without(topTree, ['etc/plus', 'etc']), without(baseTree, ['etc']))).toEqual([]);
    const doctor = await devenvJson<{ checks: { name: string; status: string; detail: string }[] }>(box, [
      'doctor',
    ]);
    expect(doctor.checks.find((c) => c.name === 'overlayfs')?.detail).toContain('flatten mode and stays so');
  });

  it('tag, rmi (untag, then delete and free the layers), prune', async () => {
    const box = sandbox();
    expect((await devenv(box, ['pull', services.busyboxImage])).exitCode).toBe(0);
    const tagged = await devenv(box, ['tag', services.busyboxImage, 'mine/box:1']);
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    const listed = await devenvJson<ListedImage[]>(box, ['images']);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.tags.sort()).toEqual([services.busyboxImage, 'mine/box:1'].sort());

    const byId = await devenv(box, ['rmi', listed[0]!.id.slice(7, 19)]);
    expect(byId.exitCode).toBe(1);
    expect(byId.stderr).toContain('remove the tags or use --force');

    const untag = await devenvJson<{ removed: string[] }>(box, ['rmi', 'mine/box:1']);
    expect(untag.removed).toEqual(['Untagged: mine/box:1']);
    const gone = await devenvJson<{ removed: string[] }>(box, ['rmi', services.busyboxImage]);
    expect(gone.removed).toEqual([`Untagged: ${services.busyboxImage}`, `Deleted: ${listed[0]!.id}`]);
    expect(await devenvJson<ListedImage[]>(box, ['images'])).toEqual([]);
    expect(readdirSync(path.join(box.root, 'layers'))).toEqual([]);
    expect(readdirSync(path.join(box.root, 'blobs', 'sha256'))).toEqual([]);

    const missing = await devenv(box, ['rmi', 'nothing:here']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('no such image: nothing:here');

    // An untagged image (an archive saved by ID has no names) stays until prune.
    const archive = path.join(box.dir, 'by-id.tar');
    await docker(['save', '-o', archive, listed[0]!.id]);
    const loaded = await devenvJson<{ loaded: string[] }>(box, ['load', archive]);
    expect(loaded.loaded).toEqual([listed[0]!.id]);
    expect(await devenvJson<ListedImage[]>(box, ['images'])).toEqual([
      expect.objectContaining({ id: listed[0]!.id, tags: [] }),
    ]);
    const pruned = await devenvJson<{ removed: string[]; reclaimedBytes: number }>(box, ['prune']);
    expect(pruned.removed).toEqual([listed[0]!.id]);
    expect(pruned.reclaimedBytes).toBeGreaterThan(1_000_000);
    expect(await devenvJson<ListedImage[]>(box, ['images'])).toEqual([]);
  });

  it('ls of a store without environments lists none', async () => {
    const box = sandbox();
    expect(await devenvJson<unknown[]>(box, ['ls'])).toEqual([]);
  });
});
