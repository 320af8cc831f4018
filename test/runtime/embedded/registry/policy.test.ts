/** Pure policy: reference defaults, endpoints and loopback, proxy choice, platform mapping and scoring. */
import { describe, expect, it } from 'vitest';
import {
  apiHost,
  isInsecureHost,
  isLoopbackHost,
  mirrorEndpoints,
  originEndpoints,
} from '../../../../src/runtime/embedded/registry/endpoint.js';
import { platformFromNode, platformScore, selectPlatform } from '../../../../src/image/oci/platform.js';
import { bypassesProxy, proxyFor } from '../../../../src/runtime/embedded/registry/proxy.js';
import { recordingFetch } from './helpers/net.js';
import { defaultSettings, makeClient } from './helpers/setup.js';

const d = (platform: { os: string; architecture: string; variant?: string }, n: number) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 1,
  platform,
});

describe('Docker Hub defaults', () => {
  it('ubuntu → docker.io/library/ubuntu:latest, served from https://registry-1.docker.io (no request leaves the machine)', async () => {
    const recorder = recordingFetch();
    const client = makeClient({ fetch: recorder.fetch });
    await expect(client.resolveImage('ubuntu')).rejects.toThrow(/cannot reach registry registry-1.docker.io/);
    expect(recorder.urls).toEqual(['https://registry-1.docker.io/v2/library/ubuntu/manifests/latest']);
    recorder.urls.length = 0;
    const digest = `sha256:${'a'.repeat(64)}`;
    await expect(client.resolveImage(`ubuntu:22.04@${digest}`)).rejects.toThrow();
    expect(recorder.urls).toEqual([`https://registry-1.docker.io/v2/library/ubuntu/manifests/${digest}`]); // digest wins
    await client.close();
  });

  it('maps docker.io and index.docker.io to the API host', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('localhost:5000')).toBe('localhost:5000');
  });
});

describe('endpoints', () => {
  it('treats localhost, 127.0.0.0/8 and ::1 as loopback, nothing else', () => {
    for (const host of [
      'localhost',
      'localhost:5000',
      '127.0.0.1:5000',
      '127.1.2.3',
      '[::1]:5000',
      'registry.localhost',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '10.0.0.1:5000',
      '128.0.0.1',
      'localhost.example.com',
      '127.0.0.1.nip.io',
      '[::2]:5000',
      'example.com',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('offers plain HTTP only to insecure hosts, matched by host:port or host', () => {
    const settings = { ...defaultSettings, insecureRegistries: ['reg.internal:5000', 'other.internal'] };
    expect(originEndpoints('example.com', settings).map((e) => e.base)).toEqual(['https://example.com']);
    expect(originEndpoints('reg.internal:5000', settings).map((e) => e.base)).toEqual([
      'https://reg.internal:5000',
      'http://reg.internal:5000',
    ]);
    expect(isInsecureHost('reg.internal:5001', settings)).toBe(false);
    expect(isInsecureHost('other.internal:443', settings)).toBe(true);
  });

  it('reads mirrors as a docker.io list or a per-registry map', () => {
    expect(
      mirrorEndpoints('docker.io', { ...defaultSettings, registryMirrors: ['https://m.example/'] }).map(
        (e) => e.base,
      ),
    ).toEqual(['https://m.example']);
    expect(
      mirrorEndpoints('quay.io', { ...defaultSettings, registryMirrors: ['https://m.example/'] }),
    ).toEqual([]);
    expect(
      mirrorEndpoints('quay.io', {
        ...defaultSettings,
        registryMirrors: { 'quay.io': ['https://q.example/prefix/'] },
      })[0],
    ).toMatchObject({ base: 'https://q.example/prefix', credentialHost: 'q.example', mirror: true });
  });
});

describe('proxy choice', () => {
  const url = new URL('https://registry.example.com:443/v2/');
  it('inherits HTTPS_PROXY / https_proxy and honours NO_PROXY forms', () => {
    const inherit = { ...defaultSettings, proxy: 'inherit' as const };
    expect(proxyFor(url, inherit, { https_proxy: 'proxy:3128' })).toBe('http://proxy:3128');
    expect(proxyFor(url, inherit, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.example.com' })).toBeUndefined();
    expect(proxyFor(url, inherit, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'other.com,*' })).toBeUndefined();
    expect(
      proxyFor(new URL('https://127.0.0.1:5000/v2/'), inherit, { HTTPS_PROXY: 'http://p:1' }),
    ).toBeUndefined();
    expect(
      proxyFor(url, { ...defaultSettings, proxy: 'none' }, { HTTPS_PROXY: 'http://p:1' }),
    ).toBeUndefined();
  });
  it('matches NO_PROXY names, suffixes and ports', () => {
    expect(bypassesProxy(url, 'example.com')).toBe(true);
    expect(bypassesProxy(url, 'registry.example.com:443')).toBe(true);
    expect(bypassesProxy(url, 'registry.example.com:5000')).toBe(false);
    expect(bypassesProxy(url, 'ample.com')).toBe(false);
  });
});

describe('platforms', () => {
  it('maps process.arch values (docs/image-formats.md#manifests-and-media-types)', () => {
    expect(platformFromNode('x64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(platformFromNode('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(platformFromNode('arm', '6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(platformFromNode('ia32')).toEqual({ os: 'linux', architecture: '386' });
    expect(platformFromNode('ppc64')).toEqual({ os: 'linux', architecture: 'ppc64le' });
    expect(platformFromNode('s390x')).toEqual({ os: 'linux', architecture: 's390x' });
  });
  it('arm64 takes v8 or no variant; arm v7 prefers v7, falls back to v6; windows never matches', () => {
    expect(platformScore({ os: 'linux', architecture: 'arm64' }, platformFromNode('arm64'))).toBeGreaterThan(
      0,
    );
    const armIndex = [
      d({ os: 'linux', architecture: 'arm', variant: 'v6' }, 1),
      d({ os: 'linux', architecture: 'arm', variant: 'v7' }, 2),
    ];
    expect(selectPlatform(armIndex, platformFromNode('arm', 7))?.digest).toBe(armIndex[1]!.digest);
    expect(selectPlatform(armIndex.slice(0, 1), platformFromNode('arm', 7))?.digest).toBe(
      armIndex[0]!.digest,
    );
    expect(selectPlatform(armIndex, platformFromNode('arm', 5))).toBeUndefined();
    expect(
      selectPlatform([d({ os: 'windows', architecture: 'amd64' }, 3)], platformFromNode('x64')),
    ).toBeUndefined();
  });
});
