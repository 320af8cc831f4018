/** Mirrors: tried first for manifests and blobs; a mirror that lacks the image falls back to the origin. */
import { describe, expect, it } from 'vitest';
import { trackServers, defaultSettings, makeClient, memorySink } from './helpers/setup.js';

const { start } = trackServers();

describe('registry mirrors', () => {
  it('pulls manifests and blobs from the mirror when it has them, without touching the origin', async () => {
    const origin = await start();
    const mirror = await start();
    const layerBytes = Buffer.from('same layer everywhere');
    origin.addImage('team/app', 'latest', layerBytes);
    const image = mirror.addImage('team/app', 'latest', layerBytes);
    const client = makeClient({
      settings: { ...defaultSettings, registryMirrors: { [origin.address]: [`http://${mirror.address}`] } },
    });
    const resolved = await client.resolveImage(`${origin.address}/team/app`);
    const sink = memorySink();
    await client.fetchBlob(resolved.repository, image.layer, sink);
    expect(sink.committed?.equals(layerBytes)).toBe(true);
    expect(origin.requests).toEqual([]);
    expect(mirror.requests.map((q) => q.url)).toEqual([
      `/v2/team/app/manifests/latest`,
      `/v2/team/app/blobs/${image.layer.digest}`,
    ]);
    await client.close();
  });

  it('falls back to the origin when the mirror lacks the image or a blob', async () => {
    const origin = await start();
    const mirror = await start();
    const image = origin.addImage('app', 'latest');
    const client = makeClient({
      settings: { ...defaultSettings, registryMirrors: { [origin.address]: [`http://${mirror.address}/`] } },
    });
    const resolved = await client.resolveImage(`${origin.address}/app`);
    expect(resolved.manifestDigest).toBe(image.manifest.digest);
    const sink = memorySink();
    await client.fetchBlob(resolved.repository, image.layer, sink);
    expect(sink.committed?.length).toBe(image.layer.size);
    expect(mirror.requests.length).toBe(2);
    await client.close();
  });

  it('a plain list of mirrors applies to docker.io only', async () => {
    const mirror = await start();
    const image = mirror.addImage('library/ubuntu', 'latest');
    const client = makeClient({
      settings: { ...defaultSettings, registryMirrors: [`http://${mirror.address}`] },
    });
    const resolved = await client.resolveImage('ubuntu');
    expect(resolved.reference).toMatchObject({ domain: 'docker.io', path: 'library/ubuntu' });
    expect(resolved.manifestDigest).toBe(image.manifest.digest);
    await client.close();
  });
});
