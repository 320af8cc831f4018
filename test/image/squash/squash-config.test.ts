/**
 * The squashed image's config and archive: diff IDs, history and the merge entry as Docker's own
 * `--squash` writes them, everything else untouched; and the docker-load archive around them.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { planImageArchive } from '../../../src/image/archive/image-archive.js';
import { squashImageConfig } from '../../../src/image/squash/squash-config.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

const built = {
  architecture: 'amd64',
  created: '2025-01-02T03:04:05Z',
  config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'], Labels: { 'dev.devenv.name': 'box' } },
  history: [
    { created: '2024-01-01T00:00:00Z', comment: 'Imported from -' },
    { created: '2025-01-02T03:04:00Z', created_by: '/bin/sh -c dd if=/dev/zero of=/big' },
    { created: '2025-01-02T03:04:01Z', created_by: '/bin/sh -c rm /big' },
    { created: '2025-01-02T03:04:02Z', created_by: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty_layer: true },
  ],
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [id('a'), id('b'), id('c')] },
};

describe('squashImageConfig', () => {
  it('keeps the base diff IDs plus the squashed one, marks the build history empty and adds the merge', () => {
    const bytes = Buffer.from(JSON.stringify(built));
    const out = JSON.parse(
      squashImageConfig({
        config: bytes,
        imageId: sha(bytes),
        base: { id: id('f'), diffIds: [id('a')], historyLength: 1 },
        diffId: id('d'),
      }).toString(),
    ) as typeof built;
    expect(out.rootfs.diff_ids).toEqual([id('a'), id('d')]);
    expect(out.history.map((h) => h.empty_layer ?? false)).toEqual([false, true, true, true, false]);
    expect(out.history.at(-1)).toEqual({
      created: built.created,
      comment: `merge ${sha(bytes)} to ${id('f')}`,
    });
    expect({ ...out, history: [], rootfs: {} }).toEqual({ ...built, history: [], rootfs: {} });
  });

  it('says "create new from" on scratch, and refuses an image that does not sit on its base', () => {
    const bytes = Buffer.from(JSON.stringify(built));
    const scratch = squashImageConfig({
      config: bytes,
      imageId: id('1'),
      base: { id: undefined, diffIds: [], historyLength: 0 },
      diffId: id('d'),
    });
    expect(JSON.parse(scratch.toString())).toMatchObject({
      rootfs: { diff_ids: [id('d')] },
      history: expect.arrayContaining([
        { created: built.created, comment: `create new from ${id('1')}` },
      ]) as unknown,
    });
    expect(() =>
      squashImageConfig({
        config: bytes,
        imageId: id('1'),
        base: { id: id('f'), diffIds: [id('e')], historyLength: 1 },
        diffId: id('d'),
      }),
    ).toThrow(/do not start with those of its base image/);
  });
});

describe('planImageArchive', () => {
  it('writes manifest.json, repositories and an OCI index naming the tag, with content-addressed blobs', async () => {
    const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = Buffer.from('layer bytes');
    const plan = planImageArchive({
      config,
      tag: 'devenv/box:latest',
      layers: [
        { digest: sha(layer), size: layer.length, open: () => Promise.resolve(Readable.from([layer])) },
      ],
    });
    const text = async (name: string) => {
      const entry = plan.entries.find((e) => e.name === name);
      const chunks: Buffer[] = [];
      for await (const chunk of await entry!.open()) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    const names = plan.entries.map((e) => e.name);
    expect(names.slice(3)).toEqual(['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    // Three blobs (config, manifest, layer), each named by the digest of its content.
    for (const name of names.slice(0, 3)) expect(sha(await text(name))).toBe(`sha256:${name.slice(13)}`);
    expect(JSON.parse(await text('manifest.json'))).toEqual([
      {
        Config: `blobs/sha256/${sha(config).slice(7)}`,
        RepoTags: ['devenv/box:latest'],
        Layers: [`blobs/sha256/${sha(layer).slice(7)}`],
      },
    ]);
    expect(JSON.parse(await text('repositories'))).toEqual({ 'devenv/box': { latest: sha(layer).slice(7) } });
    expect(JSON.parse(await text('index.json'))).toMatchObject({
      manifests: [
        {
          annotations: {
            'io.containerd.image.name': 'docker.io/devenv/box:latest',
            'org.opencontainers.image.ref.name': 'latest',
          },
        },
      ],
    });
    expect(plan.images).toEqual([{ id: sha(config), tags: ['devenv/box:latest'] }]);
  });
});
