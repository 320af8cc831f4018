/** verifyBundle on scanned archives built in memory: each part of a bundle is checked before any load. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ScannedArchive } from '../../src/bundle/scan.js';
import { verifyBundle } from '../../src/bundle/verify.js';

const sha = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function bundle(edit: (parts: { json: Record<string, unknown>; layer: string }) => void = () => undefined) {
  const layer = 'layer bytes';
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  const yml = 'name: box\nbase: busybox\n';
  const volume = { digest: sha('volume'), size: 6 };
  const json: Record<string, unknown> = {
    format: 'devenv-bundle',
    version: 1,
    name: 'box',
    created: '2024-01-01T00:00:00Z',
    source: { runtime: 'docker', devenv: '0.1.0' },
    image: { ref: 'devenv/box:latest', id: sha(config) },
    state: { committed: true },
    config: { file: 'devenv/devenv.yml', digest: sha(yml) },
    volumes: [{ name: 'work', target: '/work', file: 'devenv/volumes/work.tar', ...volume }],
  };
  const parts = { json, layer };
  edit(parts);
  const scanned: ScannedArchive = {
    image: new Map([
      [
        'manifest.json',
        { data: Buffer.from(JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }])) },
      ],
      ['c.json', { digest: sha(config), data: config }],
      ['l/layer.tar', { digest: sha(parts.layer) }],
    ]),
    devenv: new Map([
      ['devenv/bundle.json', Buffer.from(JSON.stringify(json))],
      ['devenv/devenv.yml', Buffer.from(yml)],
    ]),
    volumes: new Map([['work.tar', volume]]),
    hasDevenvEntries: true,
  };
  return scanned;
}

describe('verifyBundle', () => {
  it('accepts a bundle whose every part matches', () => {
    expect(verifyBundle('b.tar', bundle()).manifest.name).toBe('box');
  });

  it('refuses a bundle.json that names any reference but the environment’s own', () => {
    const scanned = bundle(({ json }) => {
      json['image'] = { ...(json['image'] as object), ref: 'busybox:latest' };
    });
    expect(() => verifyBundle('b.tar', scanned)).toThrow(
      'b.tar: bundle.json: image.ref is busybox:latest, but a bundle of box may only name devenv/box:latest',
    );
  });

  it('refuses a layer that does not match its diff ID', () => {
    const scanned = bundle((parts) => {
      parts.layer = 'other bytes';
    });
    expect(() => verifyBundle('b.tar', scanned)).toThrow(
      'b.tar: layer 1 of the image (l/layer.tar) does not match its digest',
    );
  });

  it('refuses a volume listed twice', () => {
    const scanned = bundle(({ json }) => {
      const volumes = json['volumes'] as unknown[];
      json['volumes'] = [...volumes, ...volumes];
    });
    expect(() => verifyBundle('b.tar', scanned)).toThrow('b.tar: volume work is listed twice');
  });
});
