/**
 * An embedded pull against an in-test registry, into a real store with the real layer applier: a
 * layer body that does not match its digest fails with the digest error and leaves no layer, blob or
 * tag; a blob that is stored already (its layer not) is unpacked from the store without downloading
 * it again, and the layer holds the files; the layer mode of a new store is chosen while the layer
 * downloads, not after.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { layerUnpacker, recordedLayerMode } from '../../../src/runtime/embedded/layer-mode.js';
import { pullImage } from '../../../src/runtime/embedded/pull-image.js';
import { openStore } from '../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../src/runtime/embedded/store/index.js';
import { FakeRegistry } from './registry/helpers/fake-registry.js';
import { makeClient } from './registry/helpers/setup.js';
import { cleanupDirs, makeConfig, makeLayer, tempDir } from './store/helpers/fixtures.js';
import type { LayerFixture } from './store/helpers/fixtures.js';

let registry: FakeRegistry | undefined;

afterEach(async () => {
  await registry?.close();
  registry = undefined;
  cleanupDirs();
});

interface Setup {
  layer: LayerFixture;
  big: string;
  store: Store;
  root: string;
  ref: string;
  pull: () => Promise<string>;
}

/** A registry with one image whose single gzip layer is `a.txt` (small) then `z.bin` (~1.5 MB gzipped). */
async function setup(): Promise<Setup> {
  registry = await FakeRegistry.start();
  const big = randomBytes(2 << 20).toString('base64');
  const layer = await makeLayer({ 'a.txt': 'first file\n', 'z.bin': big });
  registry.addBlob(layer.blob, layer.mediaType);
  const config = registry.addBlob(makeConfig([layer.diffId]), 'application/vnd.oci.image.config.v1+json');
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const layers = [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.blob.length }];
  registry.addManifest('app', '1', { schemaVersion: 2, mediaType, config, layers }, mediaType);
  const root = path.join(tempDir(), 'store');
  const store = await openStore({ root, unpack: layerUnpacker(root) });
  const ref = `${registry.address}/app:1`;
  const client = makeClient({ idleTimeoutMs: 60_000 });
  const pull = () => pullImage({ store, client, onEvent: () => undefined }, ref);
  return { layer, big, store, root, ref, pull };
}

describe('embedded pull', { timeout: 120_000 }, () => {
  it('a body that does not match its digest: the digest error, and no layer, blob or tag is left', async () => {
    const { layer, store, root, pull } = await setup();
    const forged = Buffer.from(layer.blob);
    const at = Math.floor(forged.length * 0.75);
    forged[at] = (forged[at] ?? 0) ^ 0xff;
    (registry as FakeRegistry).blobs.set(layer.digest, forged);
    const error = await pull().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(String(error)).toContain(`digest mismatch for blob ${layer.digest}`);
    expect(await store.layers.list()).toEqual([]);
    expect(readdirSync(path.join(root, 'layers'))).toEqual([]);
    expect(existsSync(path.join(root, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)))).toBe(false);
    expect(await store.refs.all()).toEqual({});
  });

  it('a blob stored already (its layer not) is unpacked from the store, not downloaded again', async () => {
    const { layer, big, store, pull } = await setup();
    await store.blobs.ingest({ digest: layer.digest, size: layer.blob.length }, () =>
      Readable.from([layer.blob]),
    );
    const id = await pull();
    expect(
      (registry as FakeRegistry).requests.filter((q) => q.method === 'GET' && q.url.includes(layer.digest)),
    ).toEqual([]);
    expect((await store.images.get(id))?.id).toBe(id);
    const diff = store.layers.diffDir(layer.diffId);
    expect(readFileSync(path.join(diff, 'a.txt'), 'utf8')).toBe('first file\n');
    expect(readFileSync(path.join(diff, 'z.bin'), 'utf8')).toBe(big);
  });

  it('a pull that will unpack gets the unpacker ready while it downloads: the layer mode is chosen before the layer is read', async () => {
    const { layer, root, pull } = await setup();
    let modeBeforeLayer: string | undefined;
    (registry as FakeRegistry).intercept = async (req, res, url) => {
      if (req.method !== 'GET' || !url.pathname.endsWith(`/blobs/${layer.digest}`)) return false;
      // Held back until the mode is recorded: a pull that probed only after the download would wait
      // here for nothing.
      const deadline = Date.now() + 30_000;
      while ((modeBeforeLayer = await recordedLayerMode(root)) === undefined && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      return false;
    };
    await pull();
    expect(modeBeforeLayer).toMatch(/^(overlay|flatten)$/);
  });
});
