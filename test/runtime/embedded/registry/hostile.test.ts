/**
 * Lying and hostile registries: R4 bad digest strings, R5 oversized, endless and dripping bodies,
 * R6 credentials never sent to another origin, foreign layers refused.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from './helpers/fake-registry.js';
import { recordingFetch } from './helpers/net.js';
import { startServer } from './helpers/servers.js';
import { trackServers, makeClient, memorySink } from './helpers/setup.js';
import { waitFor } from '../../../helpers/wait-for.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const { closers, start } = trackServers();

describe('R4: digest strings are checked before they reach a URL or a path', () => {
  const bad = [
    'sha256:../../x',
    `sha256:${'A'.repeat(64)}`,
    `md5:${'a'.repeat(32)}`,
    '',
    `sha256:${'a'.repeat(63)}/`,
    `sha256:${'a'.repeat(64)}\n`,
  ];

  it.each(bad)('%j is refused with no request made', async (digest) => {
    const r = await start();
    const recorder = recordingFetch();
    const client = makeClient({ fetch: recorder.fetch });
    const sink = memorySink();
    await expect(
      client.fetchBlob(`${r.address}/app`, { mediaType: 'x', digest, size: 1 }, sink),
    ).rejects.toMatchObject({ code: 'DEVENV_REGISTRY' });
    await expect(client.blobExists(`${r.address}/app`, digest)).rejects.toThrow(/invalid digest/);
    await expect(
      client.fetchManifest(`${r.address}/app`, digest === '' ? 'sha256:' : digest),
    ).rejects.toThrow(/invalid digest|invalid tag/);
    await expect(
      client.pushBlob(`${r.address}/app`, { mediaType: 'x', digest, size: 1 }, async function* () {}),
    ).rejects.toThrow(/invalid digest/);
    expect(recorder.urls).toEqual([]);
    expect(sink.committed).toBeUndefined();
    await client.close();
  });

  it('a manifest naming a traversal digest is refused when parsed, before its layers are fetched', async () => {
    const r = await start();
    const config = r.addBlob(Buffer.from('{}'), 'application/vnd.oci.image.config.v1+json');
    r.addManifest(
      'app',
      'evil',
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar',
            digest: 'sha256:../../../etc/passwd',
            size: 1,
          },
        ],
      },
      OCI_MANIFEST,
    );
    const client = makeClient();
    await expect(client.resolveImage(`${r.address}/app:evil`)).rejects.toThrow(
      /layers\.0\.digest not a sha256/,
    );
    expect(r.requests.some((q) => q.url.includes('..'))).toBe(false);
    await client.close();
  });
});

describe('R5: caps and idle timeouts', () => {
  it('a 5 MiB manifest is refused (announced, and chunked without a length)', async () => {
    const r = await start();
    r.addManifest(
      'big',
      'v1',
      Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(5 * 1024 * 1024) })),
      OCI_MANIFEST,
    );
    const client = makeClient();
    await expect(client.resolveImage(`${r.address}/big:v1`)).rejects.toMatchObject({ code: 'DEVENV_LIMIT' });
    let closed = false;
    r.intercept = (req, res, url) => {
      if (!url.pathname.includes('/manifests/')) return false;
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'transfer-encoding': 'chunked' });
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 32)), 1);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
      return true;
    };
    await expect(client.resolveImage(`${r.address}/endless:v1`)).rejects.toThrow(/larger than 4194304 bytes/);
    await waitFor(() => closed, 'the client to close the socket instead of reading forever', 15_000);
    await client.close();
  });

  it('a registry that drips one byte every two seconds hits the idle timeout', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest', randomBytes(64));
    r.intercept = (req, res, url) => {
      if (!url.pathname.includes('/manifests/') && !url.pathname.endsWith(image.layer.digest)) return false;
      res.writeHead(200, { 'content-type': OCI_MANIFEST });
      const timer = setInterval(() => res.write(' '), 2_000);
      res.on('close', () => {
        clearInterval(timer);
      });
      return true;
    };
    const client = makeClient({ idleTimeoutMs: 300 });
    const started = Date.now();
    await expect(client.resolveImage(`${r.address}/app`)).rejects.toMatchObject({
      code: 'DEVENV_LIMIT',
      message: expect.stringMatching(/sent nothing for/) as unknown,
    });
    const sink = memorySink();
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, sink)).rejects.toThrow(/sent nothing for/);
    expect(sink.committed).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    await client.close();
  });
});

describe('R6: no credentials for another origin', () => {
  it('a blob redirected to another host gets no Authorization; the registry itself does', async () => {
    const r = await start();
    r.auth = { kind: 'basic', user: 'u', password: 'p' };
    const bytes = randomBytes(1000);
    const image = r.addImage('app', 'latest', bytes);
    const cdn = await startServer((req, res) => {
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(bytes);
    });
    closers.push(() => cdn.close());
    r.intercept = (req, res, url) => {
      if (!url.pathname.endsWith(image.layer.digest) || req.headers.authorization === undefined) return false;
      res.writeHead(307, { location: `http://${cdn.address}/cdn/blob?sig=abc` });
      res.end();
      return true;
    };
    const client = makeClient({
      credentials: { get: () => Promise.resolve({ kind: 'basic', username: 'u', password: 'p' }) },
    });
    const sink = memorySink();
    await client.fetchBlob(`${r.address}/app`, image.layer, sink);
    expect(sink.committed?.equals(bytes)).toBe(true);
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
    expect(
      r.requests.filter((q) => q.url.endsWith(image.layer.digest)).at(-1)!.headers.authorization,
    ).toMatch(/^Basic /);
    await client.close();
  });

  it('a 401 from the redirect target, with a realm on that host, gets neither the credentials nor a token request', async () => {
    const r = await start();
    r.auth = { kind: 'basic', user: 'u', password: 'p' };
    const image = r.addImage('app', 'latest');
    const evil = await startServer((req, res) => {
      if (req.url?.startsWith('/token') === true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"token":"stolen"}');
        return;
      }
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${req.headers.host ?? ''}/token",service="evil"`,
      });
      res.end();
    });
    closers.push(() => evil.close());
    r.intercept = (req, res, url) => {
      if (!url.pathname.endsWith(image.layer.digest) || req.headers.authorization === undefined) return false;
      res.writeHead(302, { location: `http://${evil.address}/blob` });
      res.end();
      return true;
    };
    const client = makeClient({
      credentials: { get: () => Promise.resolve({ kind: 'basic', username: 'u', password: 'p' }) },
    });
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, memorySink())).rejects.toThrow(
      /does not send credentials for 127\.0\.0\.1:\d+ to another host/,
    );
    expect(evil.requests.map((q) => q.url)).toEqual(['/blob']);
    expect(evil.requests[0]!.headers.authorization).toBeUndefined();
    await client.close();
  });

  it('a foreign layer (urls) is refused without contacting anyone', async () => {
    const r = await start();
    const recorder = recordingFetch();
    const client = makeClient({ fetch: recorder.fetch });
    const digest = sha256(Buffer.from('x'));
    await expect(
      client.fetchBlob(
        `${r.address}/app`,
        {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest,
          size: 1,
          urls: ['https://evil.example/layer'],
        },
        memorySink(),
      ),
    ).rejects.toThrow(/foreign layer \(served from evil.example\); devenv does not download foreign layers/);
    expect(recorder.urls).toEqual([]);
    await client.close();
  });
});
