/**
 * The committed image config: the shape `docker save` shows for a classic build (sorted top-level
 * keys, every container-config field in Docker's order, `Image` = parent), readable by our schema.
 */
import { describe, expect, it } from 'vitest';
import { cacheKey, imageConfigFor } from '../../../src/image/build/index.js';
import type { RunConfig } from '../../../src/image/build/index.js';
import { parseImageConfig } from '../../../src/image/oci/image-config.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const config: RunConfig = {
  Env: ['PATH=/bin', 'A=a && b <c>'],
  Cmd: ['a'],
  Entrypoint: null,
  User: '1000:1000',
  WorkingDir: '/abs/../w',
  ExposedPorts: { '80/tcp': {}, '443/udp': {} },
  Volumes: null,
  Labels: { k: 'v' },
  OnBuild: null,
};

describe('imageConfigFor', () => {
  const bytes = imageConfigFor({
    config,
    containerConfig: { ...config, WorkingDir: '/w', Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["a"]'] },
    parent: id('b'),
    history: [
      { created: '2026-01-01T00:00:00Z', comment: 'Imported from -' },
      { created: '2026-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["a"]', empty_layer: true },
    ],
    diffIds: [id('a')],
    created: '2026-01-02T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
  });
  const text = bytes.toString('utf8');
  const json = JSON.parse(text) as Record<string, Record<string, unknown>>;

  it('writes the keys Docker writes, in its order', () => {
    expect(Object.keys(json)).toEqual([
      'architecture',
      'config',
      'container_config',
      'created',
      'history',
      'os',
      'rootfs',
    ]);
    expect(Object.keys(json['config'] ?? {})).toEqual([
      'Hostname',
      'Domainname',
      'User',
      'AttachStdin',
      'AttachStdout',
      'AttachStderr',
      'ExposedPorts',
      'Tty',
      'OpenStdin',
      'StdinOnce',
      'Env',
      'Cmd',
      'Image',
      'Volumes',
      'WorkingDir',
      'Entrypoint',
      'OnBuild',
      'Labels',
    ]);
    expect(json['config']?.['ExposedPorts']).toEqual({ '443/udp': {}, '80/tcp': {} });
    expect(Object.keys(json['config']?.['ExposedPorts'] as object)).toEqual(['443/udp', '80/tcp']);
    expect(json['config']?.['Image']).toBe(id('b'));
    expect(json['container_config']?.['WorkingDir']).toBe('/w');
    expect(json['history']).toEqual([
      { created: '2026-01-01T00:00:00Z', comment: 'Imported from -' },
      { created: '2026-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["a"]', empty_layer: true },
    ]);
  });

  it('escapes as Go does and parses with the image config schema', () => {
    expect(text).toContain('A=a \\u0026\\u0026 b \\u003cc\\u003e');
    expect(parseImageConfig(bytes, 'test').rootfs.diff_ids).toEqual([id('a')]);
  });
});

describe('cacheKey', () => {
  const probe: RunConfig = { ...config, Cmd: ['/bin/sh', '-c', 'make'] };

  it('is the same for the same parent and probe, and differs for either', () => {
    const key = cacheKey(id('a'), probe);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(cacheKey(id('a'), structuredClone(probe))).toBe(key);
    expect(cacheKey(id('b'), probe)).not.toBe(key);
    expect(cacheKey(id('a'), { ...probe, Cmd: ['/bin/sh', '-c', 'make all'] })).not.toBe(key);
    expect(cacheKey(id('a'), { ...probe, Env: [...probe.Env, 'X=1'] })).not.toBe(key);
    expect(cacheKey(id('a'), { ...probe, Labels: { k: 'w' } })).not.toBe(key);
  });

  it('compares as Docker does: map order and null-versus-empty do not matter', () => {
    expect(cacheKey(id('a'), { ...probe, ExposedPorts: { '443/udp': {}, '80/tcp': {} } })).toBe(
      cacheKey(id('a'), probe),
    );
    expect(cacheKey(id('a'), { ...probe, Volumes: {} })).toBe(cacheKey(id('a'), probe));
    expect(cacheKey(id('a'), { ...probe, Entrypoint: [] })).toBe(cacheKey(id('a'), probe));
  });
});
