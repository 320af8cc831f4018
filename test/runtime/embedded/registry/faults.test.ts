/**
 * Failures around a download: failpoints mid-blob, a full disk (D1, with the real /dev/full), and the
 * OAuth2 refresh-token flow for identity tokens.
 */
import { createWriteStream } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { configureFailpoints } from '../../../../src/util/failpoint.js';
import { FakeRegistry } from './helpers/fake-registry.js';
import { startServer } from './helpers/servers.js';
import { cleanupDirs, makeClient, memorySink } from './helpers/setup.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  configureFailpoints(undefined);
  for (const close of closers.splice(0)) await close();
  cleanupDirs();
});

async function start(): Promise<FakeRegistry> {
  const r = await FakeRegistry.start();
  closers.push(() => r.close());
  return r;
}

describe('faults', () => {
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
