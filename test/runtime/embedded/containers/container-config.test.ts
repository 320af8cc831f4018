import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerConfigOf,
  containerEnv,
} from '../../../../src/runtime/embedded/containers/container-config.js';
import type { ImageRunDefaults } from '../../../../src/runtime/embedded/containers/container-config.js';
import { SECRET_ENV_TARGET, SECRET_ENV_WRAPPER } from '../../../../src/plan/secrets.js';
import type { RunSpec } from '../../../../src/plan/types.js';

const ID = 'a'.repeat(64);
const NOW = new Date('2026-12-01T00:00:00Z');

function spec(extra: Partial<RunSpec> = {}): RunSpec {
  return {
    name: 'demo',
    image: 'devenv/demo:latest',
    hostname: 'demo',
    env: { GREETING: 'hello' },
    secretEnv: {},
    mounts: [],
    devices: { usb: false, gpu: false, paths: [] },
    network: 'none',
    ports: [],
    dns: [],
    init: false,
    privileged: false,
    persist: true,
    shell: '/bin/sh',
    hooks: { create: [], start: [] },
    labels: { 'dev.devenv.name': 'demo' },
    ...extra,
  };
}

const image: ImageRunDefaults = {
  id: `sha256:${'b'.repeat(64)}`,
  entrypoint: null,
  cmd: ['/bin/sh'],
  env: ['PATH=/opt/bin:/usr/bin', 'GREETING=from-image', 'LANG=C.UTF-8'],
  user: 'builder',
  workdir: '/work',
};

describe('containerConfigOf', () => {
  it('takes the image defaults where the run settings say nothing, as docker create does', () => {
    const config = containerConfigOf(ID, spec(), image, undefined, NOW);
    expect(config).toMatchObject({
      id: ID,
      name: 'demo',
      imageId: image.id,
      argv: ['/bin/sh'],
      user: 'builder',
      workdir: '/work',
      stopSignal: 'SIGTERM',
      autoRemove: false,
      created: NOW.toISOString(),
    });
    expect(config.env).toEqual(['PATH=/opt/bin:/usr/bin', 'GREETING=hello', 'LANG=C.UTF-8']);
    expect(config.capabilities).toHaveLength(14);
    expect(config.capabilities).not.toContain('SYS_ADMIN');
  });

  it('the run settings win over the image: user, workdir, stop signal; privileged gets every capability', () => {
    const config = containerConfigOf(
      ID,
      spec({ user: '1000:1000', workdir: '/src', stopSignal: 'SIGHUP', privileged: true, persist: false }),
      image,
      undefined,
      NOW,
    );
    expect(config).toMatchObject({
      user: '1000:1000',
      workdir: '/src',
      stopSignal: 'SIGHUP',
      autoRemove: true,
    });
    expect(config.capabilities).toContain('SYS_ADMIN');
  });

  it('puts the proxy wrapper in front of the main command and binds the host file, never the values', () => {
    const config = containerConfigOf(
      ID,
      spec({ secretEnv: { HTTP_PROXY: 'http://CANARY@proxy:3128' } }),
      { ...image, entrypoint: ['/entry'], cmd: ['serve'] },
      '/state/demo/secret-env',
      NOW,
    );
    expect(config.argv).toEqual(['/bin/sh', '-c', SECRET_ENV_WRAPPER, 'devenv-env', '/entry', 'serve']);
    expect(config.mounts).toContainEqual({
      type: 'bind',
      source: '/state/demo/secret-env',
      target: SECRET_ENV_TARGET,
      readonly: true,
    });
    expect(JSON.stringify(config)).not.toContain('CANARY');
  });

  it('named volumes are listed for the store; usb, x11 and device paths become binds and device trees', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-cc-'));
    const node = path.join(dir, 'ttyFAKE');
    writeFileSync(node, '');
    const config = containerConfigOf(
      ID,
      spec({
        mounts: [
          { type: 'volume', name: 'demo-cache', target: '/cache', readonly: false },
          { type: 'bind', source: '/home/me/src', target: '/src', readonly: true },
          { type: 'volume', name: 'demo-cache', target: '/cache2', readonly: true },
        ],
        devices: {
          usb: true,
          gpu: false,
          paths: [node, dir],
          x11: {
            display: ':99',
            socketDir: '/tmp/.X11-unix',
            cookieFile: '/state/xauth',
            cookieTarget: '/tmp/.Xauthority',
          },
        },
      }),
      image,
      undefined,
      NOW,
    );
    expect(config.volumes).toEqual(['demo-cache']);
    expect(config.devices).toEqual([
      { source: '/dev/bus/usb', target: '/dev/bus/usb', kind: 'tree' },
      { source: node, target: node, kind: 'node' },
      { source: dir, target: dir, kind: 'tree' },
    ]);
    expect(config.mounts).toContainEqual({
      type: 'bind',
      source: '/tmp/.X11-unix',
      target: '/tmp/.X11-unix',
      readonly: true,
    });
    expect(config.mounts).toContainEqual({
      type: 'bind',
      source: '/state/xauth',
      target: '/tmp/.Xauthority',
      readonly: true,
    });
  });

  it('publishes ports only on the private network', () => {
    expect(containerConfigOf(ID, spec({ ports: ['8080:80'] }), image, undefined, NOW).ports).toEqual([]);
    expect(
      containerConfigOf(ID, spec({ network: 'private', ports: ['8080:80'] }), image, undefined, NOW).ports,
    ).toEqual(['8080:80']);
  });
});

describe('containerEnv', () => {
  it('adds the default PATH when the image has none, and keeps values with = in them', () => {
    expect(containerEnv(['A=1=2'], { B: 'x=y' })).toEqual([
      'A=1=2',
      'B=x=y',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
  });
});
