/**
 * Failures around a download: failpoints mid-blob, a full disk (D1, with the real /dev/full), and the
 * OAuth2 refresh-token flow for identity tokens.
 */
import { chmodSync, createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import path from 'node:path';
import { dockerCredentials } from '../../../../src/runtime/embedded/registry/credentials.js';
import { afterEach, describe, expect, it } from 'vitest';
import { configureFailpoints } from '../../../../src/util/failpoint.js';
import { startServer } from './helpers/servers.js';
import { trackServers, makeClient, memorySink, tempDir } from './helpers/setup.js';

const { closers, start } = trackServers();
afterEach(() => {
  configureFailpoints(undefined);
});

const DIST = fileURLToPath(new URL('../../../../dist/', import.meta.url));

describe('faults', () => {
  // No CLI command streams a blob through fetchBlob (pull goes straight into the store), so this
  // failpoint is fired in a child process running the built client, killed by SIGKILL on the spot.
  it('kill -9 at registry.blob.before-commit leaves only a temp file, never the final name', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const dir = tempDir();
    const final = path.join(dir, 'blob');
    const script = `
      import { configureFailpoints } from '${DIST}util/failpoint.js';
      import { RegistryClient } from '${DIST}runtime/embedded/registry/client.js';
      import { fileSink } from '${DIST}runtime/embedded/registry/sink.js';
      configureFailpoints('registry.blob.before-commit:kill');
      const client = new RegistryClient({
        settings: { registryMirrors: {}, insecureRegistries: [], proxy: 'none' },
        homeDir: ${JSON.stringify(dir)}, env: {}, platform: { os: 'linux', architecture: 'amd64' },
      });
      await client.fetchBlob(${JSON.stringify(`${r.address}/app`)}, ${JSON.stringify(image.layer)},
        await fileSink(${JSON.stringify(final)}));
      console.log('committed');
    `;
    const child = await execa(process.execPath, ['--input-type=module', '-e', script], {
      reject: false,
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(child.stdout).not.toContain('committed');
    expect(existsSync(final)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
  });

  it('a failpoint thrown mid-blob discards the sink; the rerun succeeds', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const client = makeClient();
    configureFailpoints('registry.blob.mid-stream:throw=EIO');
    const sink = memorySink();
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, sink)).rejects.toThrow(
      /injected at failpoint registry.blob.mid-stream/,
    );
    expect(sink.discarded).toBe(true);
    expect(sink.committed).toBeUndefined();
    configureFailpoints(undefined);
    const rerun = memorySink();
    await client.fetchBlob(`${r.address}/app`, image.layer, rerun);
    expect(rerun.committed?.length).toBe(image.layer.size);
    await client.close();
  });

  it('D1: a full disk while writing becomes DEVENV_NO_SPACE naming the blob, and the sink is discarded', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    const client = makeClient();
    let discarded = false;
    const sink = {
      writable: createWriteStream('/dev/full'),
      commit: () => Promise.reject(new Error('must not commit')),
      discard: () => {
        discarded = true;
        return Promise.resolve();
      },
    };
    await expect(client.fetchBlob(`${r.address}/app`, image.layer, sink)).rejects.toMatchObject({
      code: 'DEVENV_NO_SPACE',
      message: `no space left on device writing blob ${image.layer.digest} (${image.layer.size} bytes)`,
    });
    expect(discarded).toBe(true);
    await client.close();
  });

  it('a busy registry (503, 429) is retried for reads, twice at most', async () => {
    const r = await start();
    const image = r.addImage('app', 'latest');
    let busy = 2;
    r.intercept = (req, res) => {
      if (busy <= 0) return false;
      busy--;
      res.writeHead(busy === 1 ? 503 : 429, { 'retry-after': '0' });
      res.end();
      return true;
    };
    const client = makeClient();
    expect((await client.resolveImage(`${r.address}/app`)).manifestDigest).toBe(image.manifest.digest);
    busy = 10;
    const before = r.requests.length;
    await expect(client.resolveImage(`${r.address}/app`)).rejects.toThrow(/answered HTTP 429/);
    expect(r.requests.length - before).toBe(3);
    await client.close();
  });

  it('a failing credential helper is reported with its own words, never the secret', async () => {
    const bin = tempDir('devenv-bin-');
    const script = path.join(bin, 'docker-credential-broken');
    writeFileSync(script, '#!/bin/sh\necho "secret-in-stdout"\necho "cannot unlock keychain" >&2\nexit 4\n');
    chmodSync(script, 0o755);
    const homeDir = tempDir('devenv-home-');
    mkdirSync(path.join(homeDir, '.docker'));
    writeFileSync(path.join(homeDir, '.docker', 'config.json'), JSON.stringify({ credsStore: 'broken' }));
    const error = (await dockerCredentials(homeDir, { PATH: `${bin}:/usr/bin:/bin` })
      .get('x.example')
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'credential helper docker-credential-broken get failed (exit 4): cannot unlock keychain',
    );
    expect(error.message).not.toContain('secret-in-stdout');
  });

  it('identity tokens are exchanged with a POST to the realm (grant_type=refresh_token)', async () => {
    const r = await start();
    r.addImage('app', 'latest');
    const bodies: string[] = [];
    const tokens = await startServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(`${req.method ?? ''} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"from-refresh","expires_in":300}');
      });
    });
    closers.push(() => tokens.close());
    r.auth = {
      kind: 'bearer',
      realm: `http://${tokens.address}/token`,
      service: 'svc',
      token: 'from-refresh',
    };
    const client = makeClient({
      credentials: { get: () => Promise.resolve({ kind: 'identity', identityToken: 'refresh-xyz' }) },
    });
    await client.resolveImage(`${r.address}/app`);
    const params = new URLSearchParams(bodies[0]!.slice('POST '.length));
    expect(bodies[0]!.startsWith('POST ')).toBe(true);
    expect(Object.fromEntries(params)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-xyz',
      service: 'svc',
      scope: 'repository:app:pull',
    });
    expect(tokens.requests[0]!.headers.authorization).toBeUndefined();
    await client.close();
  });
});
