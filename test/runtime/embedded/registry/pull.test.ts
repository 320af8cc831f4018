/**
 * Pulling from an in-test registry: resolve by tag and digest, platform selection from an index,
 * verified blob downloads into a sink, and the lying-registry cases R1-R3, R7, R9, R10.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { selectImageManifest } from '../../../../src/runtime/embedded/registry/resolve.js';
import { fileSink } from '../../../../src/runtime/embedded/registry/sink.js';
import { FakeRegistry, sha256 } from './helpers/fake-registry.js';
import { cleanupDirs, makeClient, memorySink, tempDir } from './helpers/setup.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let registry: FakeRegistry | undefined;

afterEach(async () => {
  await registry?.close();
  registry = undefined;
  cleanupDirs();
});

async function start(): Promise<FakeRegistry> {
  registry = await FakeRegistry.start();
  return registry;
}

describe('resolveImage', () => {
  it('resolves a tag to the manifest, config and layers, keeping the raw bytes', async () => {
    const r = await start();
    const image = r.addImage('team/app', '1.0');
    const client = makeClient();
    const resolved = await client.resolveImage(`${r.address}/team/app:1.0`);
    expect(resolved.manifestDigest).toBe(image.manifest.digest);
    expect(sha256(resolved.manifest.raw)).toBe(image.manifest.digest);
    expect(resolved.config.digest).toBe(image.config.digest);
    expect(resolved.layers.map((l) => l.digest)).toEqual([image.layer.digest]);
    expect(resolved.index).toBeUndefined();
    const accept = r.requests.find((q) => q.url.includes('/manifests/'))?.headers.accept;
    expect(accept).toContain(OCI_INDEX);
    expect(accept).toContain('application/vnd.docker.distribution.manifest.v2+json');
    await client.close();
  });

  it('picks linux/amd64 from an index with arm64/v8 and an attestation, and arm64/v8 for arm64', async () => {
    const r = await start();
    const amd = r.addImage('multi', undefined);
    const arm = r.addImage('multi', undefined, randomBytes(100));
    const att = r.addImage('multi', undefined, randomBytes(10));
    const index = r.addManifest(
      'multi',
      'latest',
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            ...att.manifest,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
          { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      },
      OCI_INDEX,
    );
    const client = makeClient();
    const resolved = await client.resolveImage(`${r.address}/multi`);
    expect(resolved.manifestDigest).toBe(amd.manifest.digest);
    expect(resolved.index?.digest).toBe(index.digest);
    const onArm = await client.resolveImage(`${r.address}/multi`, {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(onArm.manifestDigest).toBe(arm.manifest.digest);
    // R9: wrong platform names what is there, and never offers the attestation
    await expect(
      client.resolveImage(`${r.address}/multi`, { platform: { os: 'linux', architecture: 's390x' } }),
    ).rejects.toThrow(
      `no linux/s390x image in ${r.address}/multi:latest; available: linux/arm64/v8, linux/amd64`,
    );
    await client.close();
  });

  it('refuses an index cycle (only reachable past digest checks, so tested on the selection itself)', async () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    const raw = new Uint8Array(10);
    const index = (self: string, child: string) => ({
      kind: 'index' as const,
      digest: self,
      mediaType: OCI_INDEX,
      raw,
      parsed: {
        schemaVersion: 2 as const,
        manifests: [{ mediaType: OCI_INDEX, digest: child, size: raw.byteLength }],
      },
    });
    await expect(
      selectImageManifest(
        index(a, b),
        { os: 'linux', architecture: 'amd64' },
        (d) => Promise.resolve(index(d, a)),
        'x',
      ),
    ).rejects.toThrow(`x: the index refers back to ${a} (a cycle)`);
  });

  it('refuses indexes nested deeper than 4', async () => {
    const r = await start();
    const leaf = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] as unknown[] };
    let inner = r.addManifest('deep', undefined, leaf, OCI_INDEX);
    for (let i = 0; i < 5; i++)
      inner = r.addManifest(
        'deep',
        i === 4 ? 'top' : undefined,
        { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [inner] },
        OCI_INDEX,
      );
    const client = makeClient();
    await expect(client.resolveImage(`${r.address}/deep:top`)).rejects.toThrow(/nested more than 4 deep/);
    await client.close();
  });

  it('R7: pull by digest fails when the registry returns another manifest', async () => {
    const r = await start();
    const good = r.addImage('app', undefined);
    const other = r.addImage('app', 'other', randomBytes(50));
    r.intercept = (req, res, url) => {
      if (!url.pathname.endsWith(`/manifests/${good.manifest.digest}`)) return false;
      const raw = r.manifests.get(`app@${other.manifest.digest}`)!.raw;
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': good.manifest.digest });
      res.end(raw);
      return true;
    };
    const client = makeClient();
    const error = await client
      .resolveImage(`${r.address}/app@${good.manifest.digest}`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(String(error)).toContain(`expected ${good.manifest.digest} got ${other.manifest.digest}`);
    await client.close();
  });

  it('R9: a missing tag says which tag and where', async () => {
    const r = await start();
    const client = makeClient();
    await expect(client.resolveImage(`${r.address}/x:1.2`)).rejects.toThrow(
      `manifest unknown: no tag 1.2 in ${r.address}/x`,
    );
    await client.close();
  });

  it('R9: schema 1 and unknown media types are refused with a clear message', async () => {
    const r = await start();
    r.addManifest(
      'old',
      'v1',
      { schemaVersion: 1, name: 'old', tag: 'v1', fsLayers: [] },
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    r.addManifest(
      'helm',
      'v1',
      {
        schemaVersion: 2,
        config: {
          mediaType: 'application/vnd.cncf.helm.config.v1+json',
          digest: sha256(Buffer.from('x')),
          size: 1,
        },
        layers: [],
      },
      OCI_MANIFEST,
    );
    r.addManifest('text', 'v1', Buffer.from('hello'), 'text/plain');
    const client = makeClient();
    await expect(client.resolveImage(`${r.address}/old:v1`)).rejects.toThrow(
      /schema 1 image, which devenv does not support/,
    );
    await expect(client.resolveImage(`${r.address}/helm:v1`)).rejects.toThrow(
      /is not a container image \(its config is application\/vnd.cncf.helm/,
    );
    await expect(client.resolveImage(`${r.address}/text:v1`)).rejects.toThrow(/not a JSON object/);
    await client.close();
  });

  it('R10: three concurrent pulls of a missing tag all fail cleanly', async () => {
    const r = await start();
    const client = makeClient();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => client.resolveImage(`${r.address}/missing:nope`)),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toContain('manifest unknown: no tag nope');
    }
    await client.close();
  });
});

describe('fetchBlob', () => {
  it('streams a verified blob into a file sink, reporting progress', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest', randomBytes(300_000));
    const client = makeClient();
    const dir = tempDir();
    const final = path.join(dir, 'blob');
    const progress: number[] = [];
    await client.fetchBlob(`${r.address}/app`, image.layer, await fileSink(final), (current, total) => {
      expect(total).toBe(300_000);
      progress.push(current);
    });
    expect(readFileSync(final).equals(Buffer.from(image.layerBytes))).toBe(true);
    expect(progress.at(-1)).toBe(300_000);
    expect(readdirSync(dir)).toEqual(['blob']);
    await client.close();
  });

  it('R1: a body that does not match the digest fails and leaves nothing under the final name', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    r.blobs.set(image.layer.digest, randomBytes(image.layer.size));
    const client = makeClient();
    const dir = tempDir();
    const final = path.join(dir, 'blob');
    const error = await client
      .fetchBlob(`${r.address}/app`, image.layer, await fileSink(final))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(String(error)).toMatch(
      new RegExp(
        `digest mismatch for blob ${image.layer.digest}: expected ${image.layer.digest} got sha256:[0-9a-f]{64}`,
      ),
    );
    expect(existsSync(final)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // and a retry against an honest registry works
    r.blobs.set(image.layer.digest, Buffer.from(image.layerBytes));
    await client.fetchBlob(`${r.address}/app`, image.layer, await fileSink(final));
    expect(existsSync(final)).toBe(true);
    await client.close();
  });

  it('R2: a connection dropped at 50% is resumed with Range', async () => {
    const r = await start();
    const bytes = randomBytes(200_000);
    const image = r.addImage('app', 'latest', bytes);
    let dropped = false;
    r.intercept = (req, res, url) => {
      if (dropped || !url.pathname.endsWith(image.layer.digest)) return false;
      dropped = true;
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, 100_000), () => setTimeout(() => res.destroy(), 50));
      return true;
    };
    const client = makeClient();
    const sink = memorySink();
    await client.fetchBlob(`${r.address}/app`, image.layer, sink);
    expect(sink.committed?.equals(bytes)).toBe(true);
    const ranges = r.requests.filter((q) => q.url.endsWith(image.layer.digest)).map((q) => q.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    await client.close();
  });

  it('R2: a registry that keeps dropping fails cleanly after a bounded number of resumes', async () => {
    const r = await start();
    const bytes = randomBytes(100_000);
    const image = r.addImage('app', 'latest', bytes);
    r.intercept = (req, res, url) => {
      if (!url.pathname.endsWith(image.layer.digest)) return false;
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, 10), () => setTimeout(() => res.destroy(), 20));
      return true;
    };
    const client = makeClient();
    const sink = memorySink();
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, sink)).rejects.toThrow(/dropped|shorter/);
    expect(sink.committed).toBeUndefined();
    expect(sink.discarded).toBe(true);
    expect(r.requests.filter((q) => q.url.endsWith(image.layer.digest)).length).toBeLessThanOrEqual(4);
    await client.close();
  });

  it('R3: a body longer or shorter than the descriptor fails', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const client = makeClient();
    const longer = memorySink();
    await expect(
      client.fetchBlob(`${r.address}/app`, { ...image.layer, size: image.layer.size - 1 }, longer),
    ).rejects.toThrow(/larger than its descriptor says/);
    expect(longer.committed).toBeUndefined();
    // a chunked body (no Content-Length) that runs past the size is cut off at size + chunk
    r.intercept = (req, res, url) => {
      if (!url.pathname.endsWith(image.layer.digest)) return false;
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      const timer = setInterval(() => res.write(randomBytes(1024)), 1);
      res.on('close', () => {
        clearInterval(timer);
      });
      return true;
    };
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, memorySink())).rejects.toThrow(
      /larger than its descriptor says/,
    );
    r.intercept = undefined;
    const shorter = memorySink();
    await expect(
      client.fetchBlob(`${r.address}/app`, { ...image.layer, size: image.layer.size + 10 }, shorter),
    ).rejects.toThrow(/shorter than its descriptor says/);
    expect(shorter.committed).toBeUndefined();
    await client.close();
  });
});

describe('openBlob and headManifest', () => {
  it('openBlob yields the bytes, and errors instead of ending when the digest does not match', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const client = makeClient();
    const chunks: Buffer[] = [];
    for await (const chunk of client.openBlob(`${r.address}/app`, image.layer)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.from(image.layerBytes))).toBe(true);
    r.blobs.set(image.layer.digest, randomBytes(image.layer.size));
    const consume = async () => {
      for await (const chunk of client.openBlob(`${r.address}/app`, image.layer)) expect(chunk).toBeDefined();
    };
    await expect(consume()).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    await client.close();
  });

  it('headManifest reports the current digest of a tag, or undefined', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const client = makeClient();
    expect(await client.headManifest(`${r.address}/app`, 'latest')).toEqual({
      digest: image.manifest.digest,
      mediaType: OCI_MANIFEST,
      size: image.manifest.size,
    });
    expect(await client.headManifest(`${r.address}/app`, 'nope')).toBeUndefined();
    expect(r.requests.filter((q) => q.url.includes('/manifests/')).every((q) => q.method === 'HEAD')).toBe(
      true,
    );
    await client.close();
  });
});
