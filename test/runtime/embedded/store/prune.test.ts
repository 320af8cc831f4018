/**
 * Prune is mark and sweep from roots (docs/reliability.md, rule 5, K5, K7): tags, containers'
 * images and live leases keep content; everything else goes, and the bytes freed are reported.
 */
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStore, pruneStore } from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { cleanupDirs, freshStore, makeLayer, sha256, storeImage, streamOf } from './helpers/fixtures.js';

afterAll(cleanupDirs);

function bytesUnder(target: string): number {
  const info = lstatSync(target);
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  return readdirSync(target).reduce((sum, name) => sum + bytesUnder(path.join(target, name)), 0);
}

async function inventory(store: Store) {
  return {
    images: await store.images.list(),
    layers: await store.layers.list(),
    blobs: await store.blobs.list(),
  };
}

describe('pruneStore', () => {
  it('keeps tagged images with their whole chain, removes the rest, and reports the bytes freed', async () => {
    const store = await freshStore();
    const base = await makeLayer({ 'etc/base': 'shared base\n'.repeat(100) });
    const kept = await storeImage(store, [base, await makeLayer({ 'kept.txt': 'k' })], {
      tag: 'kept:1',
      comment: 'kept',
    });
    const doomedTop = await makeLayer({ 'doomed.txt': 'd'.repeat(5000) });
    const doomed = await storeImage(store, [base, doomedTop], { comment: 'doomed' });
    const before = await inventory(store);
    const expectedBytes =
      lstatSync(store.paths.image(doomed.id)).size +
      lstatSync(store.blobs.path(doomed.id)).size +
      lstatSync(store.blobs.path(doomedTop.digest)).size +
      bytesUnder(store.paths.layer(doomed.chainIds[1] ?? ''));

    const result = await pruneStore(store);
    expect(result.images).toEqual([doomed.id]);
    expect(result.layers).toEqual([doomed.chainIds[1]]);
    expect(result.blobs.sort()).toEqual([doomed.id, doomedTop.digest].sort());
    expect(result.reclaimedBytes).toBe(expectedBytes);
    const after = await inventory(store);
    expect(after.images).toEqual([kept.id]);
    expect(after.layers.sort()).toEqual([...kept.chainIds].sort());
    expect(after.blobs.length).toBe(before.blobs.length - 2);
    expect((await checkStore(store.root)).clean).toBe(true);
    expect((await pruneStore(store)).reclaimedBytes).toBe(0);
  });

  it('keeps what a live lease holds (an in-flight pull), and frees it once the lease is released (K5)', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'inflight.txt': 'i' });
    const lease = await store.createLease('pull in flight');
    await store.blobs.ingest({ digest: layer.digest }, () => streamOf(layer.blob), { lease });
    const blob = { digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length };
    await store.layers.create({ parent: undefined, blob, expectedDiffId: layer.diffId, lease });
    expect(await pruneStore(store)).toMatchObject({ blobs: [], layers: [], reclaimedBytes: 0 });
    expect(await store.blobs.has(layer.digest)).toBe(true);
    await lease.release();
    expect(await pruneStore(store)).toMatchObject({ blobs: [layer.digest], layers: [layer.diffId] });
  });

  it('a lease protects nothing once it expired or its process is gone', async () => {
    let now = Date.now();
    const store = await freshStore({ now: () => now });
    const data = Buffer.from('leased');
    const lease = await store.createLease('short', 1000);
    await store.blobs.ingest({ digest: sha256(data) }, () => streamOf(data), { lease });
    now += 2000;
    expect((await pruneStore(store)).blobs).toEqual([sha256(data)]);

    const other = Buffer.from('leased by a dead process');
    const owner = { pid: 2 ** 22 - 7, startTime: '1', createdAt: now };
    await store.blobs.ingest({ digest: sha256(other) }, () => streamOf(other));
    writeFileSync(
      path.join(store.paths.leasesDir, 'dead.json'),
      JSON.stringify({
        id: 'dead',
        owner,
        expiresAt: now + 1e9,
        blobs: [sha256(other)],
        layers: [],
        images: [],
      }),
    );
    expect((await pruneStore(store)).blobs).toEqual([sha256(other)]);
  });

  it('keeps images that containers use, by ID or by tag, even untagged', async () => {
    const store = await freshStore();
    const byId = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })], { comment: 'by id' });
    const byTag = await storeImage(store, [await makeLayer({ 'b.txt': 'b' })], {
      tag: 'tool:2',
      comment: 'by tag',
    });
    for (const [name, image] of [
      ['c1', byId.id],
      ['c2', 'tool:2'],
    ] as const) {
      mkdirSync(path.join(store.paths.containersDir, name), { recursive: true });
      writeFileSync(path.join(store.paths.containersDir, name, 'config.json'), JSON.stringify({ image }));
    }
    expect((await pruneStore(store)).images).toEqual([]);
    expect((await store.images.list()).sort()).toEqual([byId.id, byTag.id].sort());
  });

  it('refuses to guess when a container config cannot be read', async () => {
    const store = await freshStore();
    await storeImage(store, [await makeLayer({ 'a.txt': 'a' })]);
    mkdirSync(path.join(store.paths.containersDir, 'broken'), { recursive: true });
    writeFileSync(path.join(store.paths.containersDir, 'broken', 'config.json'), '{');
    await expect(pruneStore(store)).rejects.toThrow(/cannot prune: .*broken\/config.json is corrupt/);
    expect(await store.images.list()).toHaveLength(1);
  });

  it('prune running alongside stores in flight never breaks them (K5, K7)', async () => {
    const store = await freshStore();
    const layers = await Promise.all([0, 1, 2].map((i) => makeLayer({ [`f${i}.txt`]: `content ${i}` })));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 3, maxLength: 3 }),
        async (delays) => {
          const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
          const ops = layers.map(async (layer, i) => {
            await wait(delays[i] ?? 0);
            return storeImage(store, [layer], { tag: `race:${i}`, comment: `race ${i}` });
          });
          const prunes = [
            pruneStore(store),
            wait(15).then(() => pruneStore(store)),
            wait(30).then(() => pruneStore(store)),
          ];
          const stored = await Promise.all(ops);
          await Promise.all(prunes);
          for (const [i, image] of stored.entries()) {
            expect(await store.refs.resolve(`race:${i}`)).toBe(image.id);
            for (const chainId of image.chainIds) expect(await store.layers.get(chainId)).toBeDefined();
          }
          expect((await checkStore(store.root)).clean).toBe(true);
          await store.refs.remove([0, 1, 2].map((i) => `race:${i}`));
          await pruneStore(store);
        },
      ),
      { numRuns: 8 },
    );
  }, 300_000);
});
