/**
 * Pushing to an in-test registry: HEAD before upload, monolithic and chunked uploads that follow
 * relative and absolute Locations keeping their query state, mounts, manifests PUT as raw bytes with
 * their media type, push-scoped tokens, and refusing to upload content that is not its digest.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from './helpers/fake-registry.js';
import { startTokenServer } from './helpers/servers.js';
import { trackServers, makeClient } from './helpers/setup.js';

const { closers, start } = trackServers();

function stream(bytes: Buffer, piece = 7000): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let i = 0; i < bytes.length; i += piece) {
      await Promise.resolve(); // a real stream yields between reads
      yield bytes.subarray(i, i + piece);
    }
  };
}

describe('pushBlob', () => {
  it('uploads monolithically through a relative Location, keeping its query, then finds it exists', async () => {
    const r = await start();
    const bytes = randomBytes(50_000);
    const descriptor = { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length };
    const client = makeClient();
    const progress: number[] = [];
    expect(
      await client.pushBlob(`${r.address}/team/app`, descriptor, stream(bytes), {
        onProgress: (n) => progress.push(n),
      }),
    ).toBe('uploaded');
    expect(r.blobs.get(descriptor.digest)?.equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    const put = r.requests.find((q) => q.method === 'PUT')!;
    expect(put.url).toMatch(
      new RegExp(
        `^/v2/team/app/blobs/uploads/[0-9a-f]+\\?_state=a%2Bb%3Dc&digest=sha256%3A${descriptor.digest.slice(7)}$`,
      ),
    );
    expect(put.headers['content-length']).toBe(String(bytes.length));
    expect(await client.pushBlob(`${r.address}/team/app`, descriptor, stream(bytes))).toBe('exists');
    expect(r.requests.filter((q) => q.method === 'PUT')).toHaveLength(1);
    await client.close();
  });

  it('uploads in PATCH chunks through absolute Locations', async () => {
    const r = await start();
    r.locationStyle = 'absolute';
    const bytes = randomBytes(25_000);
    const descriptor = { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length };
    const client = makeClient();
    expect(
      await client.pushBlob(`${r.address}/app`, descriptor, stream(bytes, 3000), { chunkSize: 10_000 }),
    ).toBe('uploaded');
    const patches = r.requests.filter((q) => q.method === 'PATCH');
    expect(patches.map((q) => q.headers['content-range'])).toEqual(['0-9999', '10000-19999', '20000-24999']);
    expect(patches[1]!.url).toContain('_state=n10000');
    expect(r.blobs.get(descriptor.digest)?.equals(bytes)).toBe(true);
    await client.close();
  });

  it('mounts from another repository when the registry has the blob', async () => {
    const r = await start();
    const image = r.addImage('source', 'latest');
    const client = makeClient();
    r.intercept = (req, res, url) => {
      if (req.method !== 'HEAD' || !url.pathname.startsWith('/v2/target/')) return false;
      res.writeHead(404).end();
      return true;
    };
    expect(
      await client.pushBlob(`${r.address}/target`, image.layer, stream(Buffer.alloc(0)), {
        mountFrom: 'source',
      }),
    ).toBe('mounted');
    expect(r.requests.find((q) => q.method === 'POST')!.url).toBe(
      `/v2/target/blobs/uploads/?mount=${encodeURIComponent(image.layer.digest)}&from=source`,
    );
    await client.close();
  });

  it('refuses to finish an upload whose content is not its digest or size', async () => {
    const r = await start();
    const bytes = randomBytes(10_000);
    const client = makeClient();
    const wrong = { mediaType: 'x', digest: sha256(randomBytes(10)), size: bytes.length };
    await expect(client.pushBlob(`${r.address}/app`, wrong, stream(bytes))).rejects.toThrow(
      /digest mismatch for blob .* to push/,
    );
    await expect(
      client.pushBlob(`${r.address}/app`, { ...wrong, digest: sha256(bytes), size: 100 }, stream(bytes), {
        chunkSize: 50,
      }),
    ).rejects.toThrow(/larger than its descriptor/);
    expect(r.blobs.size).toBe(0);
    await client.close();
  });

  it('replays a streamed upload that the registry redirects with 307', async () => {
    const r = await start();
    const bytes = randomBytes(20_000);
    const descriptor = { mediaType: 'x', digest: sha256(bytes), size: bytes.length };
    let redirected = false;
    r.intercept = (req, res, url) => {
      if (req.method !== 'PUT' || redirected) return false;
      redirected = true;
      req.resume();
      res.writeHead(307, { location: `${url.pathname}${url.search}&moved=1` });
      res.end();
      return true;
    };
    const client = makeClient();
    expect(await client.pushBlob(`${r.address}/app`, descriptor, stream(bytes))).toBe('uploaded');
    expect(r.blobs.get(descriptor.digest)?.equals(bytes)).toBe(true);
    expect(r.requests.filter((q) => q.method === 'PUT').map((q) => q.url.includes('moved=1'))).toEqual([
      false,
      true,
    ]);
    await client.close();
  });

  it('asks the token server for pull,push scope', async () => {
    const r = await start();
    const tokens = await startTokenServer('push-token');
    closers.push(() => tokens.close());
    r.auth = { kind: 'bearer', realm: `http://${tokens.address}/token`, service: 'svc', token: 'push-token' };
    const bytes = randomBytes(1000);
    const client = makeClient();
    await client.pushBlob(
      `${r.address}/team/app`,
      { mediaType: 'x', digest: sha256(bytes), size: bytes.length },
      stream(bytes),
    );
    const scopes = tokens.requests.map((q) => new URL(q.url, 'http://x').searchParams.getAll('scope'));
    expect(scopes).toEqual([['repository:team/app:pull,push']]);
    await client.close();
  });
});

describe('putManifest', () => {
  it('PUTs the raw bytes with their media type under a tag and returns the digest', async () => {
    const r = await start();
    const image = r.addImage('app', undefined);
    const raw = Buffer.from(
      `{"schemaVersion":2,  "mediaType":"application/vnd.oci.image.manifest.v1+json","config":${JSON.stringify(image.config)},"layers":[${JSON.stringify(image.layer)}]}`,
    );
    const client = makeClient();
    const digest = await client.putManifest(
      `${r.address}/app`,
      'v2',
      raw,
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(digest).toBe(sha256(raw));
    const stored = r.manifests.get('app:v2')!;
    expect(stored.raw.equals(raw)).toBe(true);
    expect(stored.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    await expect(
      client.putManifest(`${r.address}/app`, sha256(Buffer.from('other')), raw, 'x'),
    ).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    await expect(client.putManifest(`${r.address}/app`, 'bad tag!', raw, 'x')).rejects.toThrow(/invalid tag/);
    await client.close();
  });
});
