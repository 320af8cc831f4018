/**
 * Authentication: the Bearer token flow with an in-test token server (exact scope, caching, expiry),
 * Basic, credentials from config.json and from a credential helper, and login.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerCredentials } from '../../../../src/runtime/embedded/registry/credentials.js';
import { parseWwwAuthenticate } from '../../../../src/runtime/embedded/registry/www-authenticate.js';
import { FakeRegistry } from './helpers/fake-registry.js';
import { startTokenServer } from './helpers/servers.js';
import type { Server } from './helpers/servers.js';
import { cleanupDirs, makeClient, memorySink, tempDir } from './helpers/setup.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  cleanupDirs();
});

async function registryWithTokens(
  basic?: { user: string; password: string },
  expiresIn?: number,
): Promise<{ r: FakeRegistry; tokens: Server }> {
  const r = await FakeRegistry.start();
  const tokens = await startTokenServer('tok-123', basic, expiresIn);
  r.auth = {
    kind: 'bearer',
    realm: `http://${tokens.address}/token`,
    service: 'fake-registry',
    token: 'tok-123',
  };
  closers.push(
    () => r.close(),
    () => tokens.close(),
  );
  return { r, tokens };
}

function home(config: unknown): string {
  const dir = tempDir('devenv-home-');
  mkdirSync(path.join(dir, '.docker'));
  writeFileSync(path.join(dir, '.docker', 'config.json'), JSON.stringify(config));
  return dir;
}

describe('WWW-Authenticate', () => {
  it('parses Bearer with quoted commas and error, and several challenges in one header', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push",error="insufficient_scope", Basic realm="x\\"y"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull,push',
          error: 'insufficient_scope',
        },
      },
      { scheme: 'basic', params: { realm: 'x"y' } },
    ]);
  });
});

describe('token flow', () => {
  it('401 → token with the exact service and scope → Bearer; the token is cached across requests', async () => {
    const { r, tokens } = await registryWithTokens();
    const image = r.addImage('devenv-test/busybox', 'latest');
    const client = makeClient();
    const resolved = await client.resolveImage(`${r.address}/devenv-test/busybox`);
    await client.fetchBlob(resolved.repository, image.layer, memorySink());
    await client.fetchBlob(resolved.repository, image.config, memorySink());
    expect(tokens.requests).toHaveLength(1);
    const query = new URL(tokens.requests[0]!.url, 'http://x').searchParams;
    expect(query.get('service')).toBe('fake-registry');
    expect(query.getAll('scope')).toEqual(['repository:devenv-test/busybox:pull']);
    expect(tokens.requests[0]!.headers.authorization).toBeUndefined(); // anonymous: no credentials
    const authorized = r.requests.filter((q) => q.headers.authorization === 'Bearer tok-123');
    expect(authorized.length).toBe(3);
    await client.close();
  });

  it('sends Basic credentials from config.json to the realm, and fetches a new token after expiry', async () => {
    const { r, tokens } = await registryWithTokens({ user: 'alice', password: 's3cret:x' }, 60);
    r.addImage('app', 'latest');
    let now = 1_000_000;
    const homeDir = home({
      auths: { [`http://${r.address}/v1/`]: { auth: Buffer.from('alice:s3cret:x').toString('base64') } },
    });
    const client = makeClient({ homeDir, now: () => now });
    await client.resolveImage(`${r.address}/app`);
    expect(tokens.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:s3cret:x').toString('base64')}`,
    );
    now += 49_000; // still inside expires_in − 10 s
    await client.resolveImage(`${r.address}/app`);
    expect(tokens.requests).toHaveLength(1);
    now += 2_000;
    await client.resolveImage(`${r.address}/app`);
    expect(tokens.requests).toHaveLength(2);
    await client.close();
  });

  it('wrong stored credentials: unauthorized, run devenv login, and the password is in no message', async () => {
    const { r } = await registryWithTokens({ user: 'alice', password: 'right' });
    r.addImage('app', 'latest');
    const homeDir = home({
      auths: { [r.address]: { auth: Buffer.from('alice:WRONG-PASSWORD').toString('base64') } },
    });
    const client = makeClient({ homeDir });
    const error = (await client.resolveImage(`${r.address}/app`).catch((e: unknown) => e)) as Error & {
      hint?: string;
    };
    expect(error.message).toMatch(new RegExp(`^unauthorized: .*run devenv login ${r.address}`));
    expect(JSON.stringify({ m: error.message, h: error.hint, s: error.stack })).not.toContain(
      'WRONG-PASSWORD',
    );
    await client.close();
  });
});

describe('Basic auth', () => {
  it('answers a Basic challenge with config.json credentials, and says unauthorized without them', async () => {
    const r = await FakeRegistry.start();
    closers.push(() => r.close());
    r.auth = { kind: 'basic', user: 'bob', password: 'pw' };
    r.addImage('app', 'latest');
    const anonymous = makeClient();
    await expect(anonymous.resolveImage(`${r.address}/app`)).rejects.toThrow(
      `unauthorized: ${r.address} refused access to app; run devenv login ${r.address}`,
    );
    await anonymous.close();
    const client = makeClient({
      homeDir: home({ auths: { [r.address]: { auth: Buffer.from('bob:pw').toString('base64') } } }),
    });
    await client.resolveImage(`${r.address}/app`);
    expect(r.requests.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('bob:pw').toString('base64')}`,
    );
    await client.close();
  });
});

describe('credential sources', () => {
  it('reads auths by host, Docker Hub under its legacy key, and identity tokens', async () => {
    const homeDir = home({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:hubpw').toString('base64') },
        'https://my.registry:5000': { auth: Buffer.from('me:pw').toString('base64') },
        'other.example': { identitytoken: 'refresh-abc' },
      },
    });
    const source = dockerCredentials(homeDir, {});
    expect(await source.get('docker.io')).toEqual({ kind: 'basic', username: 'hub', password: 'hubpw' });
    expect(await source.get('my.registry:5000')).toEqual({ kind: 'basic', username: 'me', password: 'pw' });
    expect(await source.get('other.example')).toEqual({
      kind: 'identity',
      username: undefined,
      identityToken: 'refresh-abc',
    });
    expect(await source.get('none.example')).toBeUndefined();
    expect(await dockerCredentials(tempDir(), {}).get('docker.io')).toBeUndefined(); // no config file
  });

  it('runs docker-credential-<helper> get with the server URL on stdin (credHelpers, then credsStore)', async () => {
    const bin = tempDir('devenv-bin-');
    const log = path.join(bin, 'stdin.log');
    const script = path.join(bin, 'docker-credential-fake');
    writeFileSync(
      script,
      `#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\necho "$server" >> ${log}\ncase "$server" in\n  *index.docker.io*) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hubsecret"}' "$server";;\n  helped.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"idtok"}' "$server";;\n  *) echo "credentials not found in native keychain"; exit 1;;\nesac\n`,
    );
    chmodSync(script, 0o755);
    const homeDir = home({ credsStore: 'fake', credHelpers: { 'helped.example': 'fake' } });
    const source = dockerCredentials(homeDir, { PATH: `${bin}:/usr/bin:/bin` });
    expect(await source.get('docker.io')).toEqual({
      kind: 'basic',
      username: 'hubuser',
      password: 'hubsecret',
    });
    expect(await source.get('helped.example')).toEqual({ kind: 'identity', identityToken: 'idtok' });
    expect(await source.get('unknown.example')).toBeUndefined();
    expect(readFileSync(log, 'utf8').split('\n')).toEqual([
      'https://index.docker.io/v1/',
      'helped.example',
      'unknown.example',
      '',
    ]);
  });
});

describe('login', () => {
  it('verifies against the registry, then writes config.json 0600 keeping other keys', async () => {
    const { r, tokens } = await registryWithTokens({ user: 'carol', password: 'pw1' });
    r.addImage('app', 'latest');
    const homeDir = home({ auths: { 'keep.example': { auth: 'a2VlcDptZQ==' } }, psFormat: 'table' });
    const client = makeClient({ homeDir });
    await expect(client.login(r.address, 'carol', 'bad')).rejects.toThrow(
      `login to ${r.address} failed: the user name or password was rejected`,
    );
    const file = path.join(homeDir, '.docker', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      auths: { 'keep.example': { auth: 'a2VlcDptZQ==' } },
      psFormat: 'table',
    });
    await client.login(r.address, 'carol', 'pw1');
    const written = JSON.parse(readFileSync(file, 'utf8')) as {
      auths: Record<string, { auth: string }>;
      psFormat: string;
    };
    expect(written.psFormat).toBe('table');
    expect(written.auths['keep.example']).toEqual({ auth: 'a2VlcDptZQ==' });
    expect(Buffer.from(written.auths[r.address]!.auth, 'base64').toString()).toBe('carol:pw1');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // and the stored credentials are used from then on
    await client.resolveImage(`${r.address}/app`);
    expect(tokens.requests.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('carol:pw1').toString('base64')}`,
    );
    await client.close();
  });
});
