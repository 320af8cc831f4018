/**
 * R8 and the connection policy: a self-signed certificate is refused unless the registry is listed as
 * insecure (loopback is, as with Docker); plain HTTP is refused for other hosts before any request;
 * proxies from the settings or the environment, with NO_PROXY and loopback bypassing them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRegistry } from './helpers/fake-registry.js';
import { recordingFetch, testLookup } from './helpers/net.js';
import { cleanupDirs, defaultSettings, makeClient, tempDir } from './helpers/setup.js';

let tls: { key: string; cert: string };
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  const dir = tempDir('devenv-tls-');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-subj',
      '/CN=secure.test',
      '-addext',
      'subjectAltName=DNS:secure.test,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  tls = {
    key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
  };
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
afterAll(cleanupDirs);

async function start(secure: boolean): Promise<FakeRegistry> {
  const r = await FakeRegistry.start(secure ? tls : undefined);
  closers.push(() => r.close());
  r.addImage('app', 'latest');
  return r;
}

describe('R8: TLS and plain HTTP', () => {
  it('refuses a self-signed certificate for a registry that is not insecure, and says how to trust it', async () => {
    const r = await start(true);
    const client = makeClient({ lookup: testLookup });
    const error = (await client
      .resolveImage(`secure.test:${r.port}/app`)
      .catch((e: unknown) => e)) as Error & { hint?: string };
    expect(error.message).toMatch(
      new RegExp(
        `TLS certificate of secure.test:${r.port} is not trusted .*add it to insecureRegistries in ~/.config/devenv/config.yml if you trust it`,
      ),
    );
    expect(r.requests).toEqual([]);
    await client.close();
  });

  it('accepts it when the registry is listed in insecureRegistries, and on loopback', async () => {
    const r = await start(true);
    const listed = makeClient({
      lookup: testLookup,
      settings: { ...defaultSettings, insecureRegistries: [`secure.test:${r.port}`] },
    });
    await expect(listed.resolveImage(`secure.test:${r.port}/app`)).resolves.toMatchObject({
      layers: [expect.anything()],
    });
    await listed.close();
    const loopback = makeClient();
    await expect(loopback.resolveImage(`${r.address}/app`)).resolves.toBeDefined();
    await loopback.close();
  });

  it('never falls back to plain HTTP for a registry that is not insecure; does so for insecure ones', async () => {
    const r = await start(false);
    const recorder = recordingFetch();
    const strict = makeClient({ lookup: testLookup, fetch: recorder.fetch });
    await expect(strict.resolveImage(`plain.test:${r.port}/app`)).rejects.toMatchObject({
      code: 'DEVENV_REGISTRY',
    });
    expect(recorder.urls.length).toBeGreaterThan(0);
    expect(recorder.urls.every((u) => u.startsWith('https://'))).toBe(true);
    expect(r.requests).toEqual([]); // the TLS handshake failed; no HTTP request was ever read
    await strict.close();
    const insecure = makeClient({
      lookup: testLookup,
      settings: { ...defaultSettings, insecureRegistries: ['plain.test'] },
    });
    await expect(insecure.resolveImage(`plain.test:${r.port}/app`)).resolves.toBeDefined();
    await insecure.close();
  });

  it('refuses an http:// mirror on a non-loopback host before connecting, then uses the origin', async () => {
    const r = await start(false);
    const recorder = recordingFetch();
    const client = makeClient({
      fetch: recorder.fetch,
      settings: { ...defaultSettings, registryMirrors: { [r.address]: ['http://mirror.example.com'] } },
    });
    await expect(client.resolveImage(`${r.address}/app`)).resolves.toBeDefined();
    expect(recorder.urls.some((u) => u.includes('mirror.example.com'))).toBe(false);
    await client.close();
  });

  it('refuses a redirect from HTTPS to plain HTTP on a host that is not insecure', async () => {
    const r = await start(true);
    r.intercept = (req, res) => {
      res.writeHead(302, { location: 'http://downgrade.test/v2/' });
      res.end();
      return true;
    };
    const recorder = recordingFetch();
    const client = makeClient({
      lookup: testLookup,
      fetch: recorder.fetch,
      settings: { ...defaultSettings, insecureRegistries: [`secure.test:${r.port}`] },
    });
    await expect(client.resolveImage(`secure.test:${r.port}/app`)).rejects.toThrow(
      /refusing http to downgrade.test/,
    );
    expect(recorder.urls.some((u) => u.startsWith('http://downgrade.test'))).toBe(false);
    await client.close();
  });
});

describe('proxies', () => {
  /** A CONNECT proxy that records targets and tunnels `*.test` names to 127.0.0.1. */
  async function startProxy(): Promise<{ url: string; targets: string[] }> {
    const targets: string[] = [];
    const server = http.createServer((req, res) => res.writeHead(405).end());
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
      const target = req.url ?? '';
      targets.push(target);
      const [host = '', port = '0'] = target.split(':');
      if (!host.endsWith('.test')) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const upstream = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(socket).pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
  }

  it('goes through HTTPS_PROXY from the environment, unless NO_PROXY names the host', async () => {
    const r = await start(true);
    const proxy = await startProxy();
    const settings = {
      ...defaultSettings,
      proxy: 'inherit' as const,
      insecureRegistries: [`proxied.test:${r.port}`],
    };
    const proxied = makeClient({ settings, env: { HTTPS_PROXY: proxy.url } });
    await proxied.resolveImage(`proxied.test:${r.port}/app`);
    expect(proxy.targets).toContain(`proxied.test:${r.port}`);
    await proxied.close();
    proxy.targets.length = 0;
    const bypass = makeClient({
      settings,
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,.test' },
      lookup: testLookup,
    });
    await bypass.resolveImage(`proxied.test:${r.port}/app`);
    expect(proxy.targets).toEqual([]);
    await bypass.close();
  });

  it('uses the settings proxy, and never proxies loopback', async () => {
    const r = await start(true);
    const proxy = await startProxy();
    const settings = {
      ...defaultSettings,
      proxy: { https: proxy.url },
      insecureRegistries: [`proxied.test:${r.port}`],
    };
    const client = makeClient({ settings });
    await client.resolveImage(`proxied.test:${r.port}/app`);
    await client.resolveImage(`${r.address}/app`);
    expect(proxy.targets.length).toBeGreaterThan(0);
    expect(new Set(proxy.targets)).toEqual(new Set([`proxied.test:${r.port}`])); // never 127.0.0.1
    await client.close();
  });
});
