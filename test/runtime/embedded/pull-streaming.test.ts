/**
 * A pull unpacks its base layer while the layer downloads (src/runtime/embedded/download-tap.ts),
 * and still publishes only what was verified: a registry that pauses half way through the layer
 * shows the layer's first file on disk before the rest is sent; a body that does not match its
 * digest fails with the digest error and leaves no layer, blob or tag; a blob that is stored already
 * (its layer not) is unpacked from the store without downloading it again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { layerUnpacker } from '../../../src/runtime/embedded/layer-mode.js';
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

/** Paths below `dir` (recursively) whose last part is `name`. */
function found(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => path.basename(rel) === name)
    .map((rel) => path.join(dir, rel));
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

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
  // A registry that pauses must not look idle to the client.
  const client = makeClient({ idleTimeoutMs: 120_000 });
  const pull = () => pullImage({ store, client, onEvent: () => undefined }, ref);
  return { layer, big, store, root, ref, pull };
}

/** Serves the layer blob as `body`, sending its first half, then waiting for `pause`, then the rest. */
function serveLayer(r: FakeRegistry, layer: LayerFixture, body: Buffer, pause: () => Promise<unknown>): void {
  r.intercept = async (req, res, url) => {
    if (req.method !== 'GET' || !url.pathname.endsWith(`/blobs/${layer.digest}`)) return false;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'docker-content-digest': layer.digest,
    });
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half));
    await pause();
    res.end(body.subarray(half));
    return true;
  };
}

describe('pull: the base layer unpacks while it downloads', { timeout: 120_000 }, () => {
  it('the first file is on disk before the second half of the layer is sent; the result is complete', async () => {
    const { layer, big, store, root, pull } = await setup();
    let early = false;
    serveLayer(registry as FakeRegistry, layer, layer.blob, async () => {
      early = await waitFor(() => found(path.join(root, 'layers'), 'a.txt').length > 0, 30_000);
    });
    const id = await pull();
    expect(early).toBe(true);
    // A single-layer image: its chain ID is its diff ID.
    const diff = store.layers.diffDir(layer.diffId);
    expect(readFileSync(path.join(diff, 'a.txt'), 'utf8')).toBe('first file\n');
    expect(readFileSync(path.join(diff, 'z.bin'), 'utf8')).toBe(big);
    expect(await store.blobs.verify(layer.digest)).toBe(true);
    expect(await store.layers.list()).toEqual([layer.diffId]);
    expect(Object.values(await store.refs.all())).toEqual([id]);
  });

  it('a body that does not match its digest: the digest error, and no layer, blob or tag is left', async () => {
    const { layer, store, root, pull } = await setup();
    const forged = Buffer.from(layer.blob);
    const at = Math.floor(forged.length * 0.75);
    forged[at] = (forged[at] ?? 0) ^ 0xff;
    serveLayer(registry as FakeRegistry, layer, forged, () => Promise.resolve());
    const error = await pull().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(String(error)).toContain(`digest mismatch for blob ${layer.digest}`);
    expect(await store.layers.list()).toEqual([]);
    expect(readdirSync(path.join(root, 'layers'))).toEqual([]);
    expect(existsSync(path.join(root, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)))).toBe(false);
    expect(await store.refs.all()).toEqual({});
  });

  it('a blob stored already (its layer not) is unpacked from the store, not downloaded again', async () => {
    const { layer, store, pull } = await setup();
    await store.blobs.ingest({ digest: layer.digest, size: layer.blob.length }, () =>
      Readable.from([layer.blob]),
    );
    const id = await pull();
    expect(
      (registry as FakeRegistry).requests.filter((q) => q.method === 'GET' && q.url.includes(layer.digest)),
    ).toEqual([]);
    expect((await store.images.get(id))?.id).toBe(id);
    expect(readFileSync(path.join(store.layers.diffDir(layer.diffId), 'a.txt'), 'utf8')).toBe('first file\n');
  });
});
