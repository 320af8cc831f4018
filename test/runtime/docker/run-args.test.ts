/** RunSpec → docker argv: devices, X11, secrets and volumes as the spine promises. */
import { describe, expect, it } from 'vitest';
import { DevenvConfigSchema } from '../../../src/config/schema.js';
import type { DevenvConfigInput } from '../../../src/config/schema.js';
import { compilePlan } from '../../../src/plan/compile-plan.js';
import {
  containerFlags,
  SECRET_ENV_TARGET,
  SECRET_ENV_WRAPPER,
  toCreateArgs,
  toExecArgs,
  toRunArgs,
} from '../../../src/runtime/docker/run-args.js';
import { fixedContext } from '../../helpers/plan-context.js';

async function spec(input: DevenvConfigInput, env: Record<string, string> = {}) {
  return compilePlan({ ...DevenvConfigSchema.parse(input), name: 'env1' }, await fixedContext('env1', env))
    .run;
}

function pairs(args: readonly string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('docker run arguments', () => {
  it('USB is a live /dev/bus/usb bind plus a device cgroup rule, never --privileged', async () => {
    const args = containerFlags(await spec({ base: 'alpine', devices: { usb: true } }), {
      mode: 'passthrough',
    });
    expect(pairs(args, '--mount')).toContain('type=bind,source=/dev/bus/usb,target=/dev/bus/usb');
    expect(pairs(args, '--device-cgroup-rule')).toEqual(['c 189:* rmw']);
    expect(args).not.toContain('--privileged');
  });

  it('X11 shares the socket read-only, DISPLAY and a per-environment cookie', async () => {
    const args = containerFlags(await spec({ base: 'alpine', devices: { x11: true } }, { DISPLAY: ':7' }), {
      mode: 'passthrough',
    });
    expect(pairs(args, '--env')).toEqual(
      expect.arrayContaining(['DISPLAY=:7', 'XAUTHORITY=/tmp/.devenv.xauth']),
    );
    expect(pairs(args, '--mount')).toEqual(
      expect.arrayContaining([
        'type=bind,source=/tmp/.X11-unix,target=/tmp/.X11-unix,readonly',
        'type=bind,source=/home/dev/.local/state/devenv/envs/env1/xauth,target=/tmp/.devenv.xauth,readonly',
      ]),
    );
  });

  it('GPU, device paths, DNS, ports (private network only), init, user and workdir', async () => {
    const run = await spec({
      base: 'alpine',
      devices: { gpu: true, paths: ['/dev/ttyUSB0'] },
      dns: ['1.1.1.1'],
      network: 'private',
      ports: ['8000:80', 9000],
      user: 'host',
      mounts: ['.:/w'],
    });
    const args = containerFlags(run, { mode: 'passthrough' });
    expect(pairs(args, '--gpus')).toEqual(['all']);
    expect(pairs(args, '--device')).toEqual(['/dev/ttyUSB0']);
    expect(pairs(args, '--dns')).toEqual(['1.1.1.1']);
    expect(pairs(args, '--publish')).toEqual(['8000:80', '9000']);
    expect(pairs(args, '--user')).toEqual(['1000:1000']);
    expect(pairs(args, '--workdir')).toEqual(['/w']);
    expect(args).toContain('--init');
    const host = containerFlags(await spec({ base: 'alpine', ports: ['8000:80'] }), { mode: 'passthrough' });
    expect(pairs(host, '--publish')).toEqual([]);
    expect(pairs(host, '--network')).toEqual(['host']);
  });

  it('labels carry the name, project and digests', async () => {
    const run = await spec({ base: 'alpine' });
    const labels = pairs(toRunArgs(run), '--label');
    expect(labels).toEqual(
      expect.arrayContaining([
        'dev.devenv.name=env1',
        'dev.devenv.project=/projects/env1',
        expect.stringMatching(/^dev\.devenv\.run=sha256:[0-9a-f]{64}$/),
        expect.stringMatching(/^dev\.devenv\.plan=sha256:/),
      ]),
    );
  });

  it('file mode: the proxy lives in a mounted file read by a wrapper; no value in argv or env', async () => {
    const run = await spec({ base: 'alpine', proxy: { http: 'http://u:CANARY@p:1' } });
    const args = toCreateArgs(
      run,
      { mode: 'file', hostFile: '/state/env' },
      { entrypoint: ['/docker-entrypoint.sh'], cmd: ['bash', '-l'] },
    );
    expect(args.join(' ')).not.toContain('CANARY');
    expect(pairs(args, '--mount')).toContain(
      `type=bind,source=/state/env,target=${SECRET_ENV_TARGET},readonly`,
    );
    expect(pairs(args, '--entrypoint')).toEqual(['/bin/sh']);
    expect(args.slice(args.indexOf('devenv/env1:latest'))).toEqual([
      'devenv/env1:latest',
      '-c',
      SECRET_ENV_WRAPPER,
      'devenv-env',
      '/docker-entrypoint.sh',
      'bash',
      '-l',
    ]);
  });

  it('passthrough mode names the proxy variables without values', async () => {
    const args = toRunArgs(await spec({ base: 'alpine', proxy: { https: 'http://u:CANARY@p:1' } }));
    expect(args.join(' ')).not.toContain('CANARY');
    expect(pairs(args, '--env')).toEqual(['HTTPS_PROXY', 'https_proxy']);
  });

  it('exec: tty only when asked, env by name, command after the container', () => {
    expect(
      toExecArgs('c', ['make', '-j2'], { interactive: true, tty: false, passEnv: ['HTTP_PROXY'] }),
    ).toEqual(['exec', '--interactive', '--env', 'HTTP_PROXY', 'c', 'make', '-j2']);
    expect(toExecArgs('c', ['sh'], { interactive: true, tty: true, user: '0', workdir: '/' })).toEqual([
      'exec',
      '--interactive',
      '--tty',
      '--user',
      '0',
      '--workdir',
      '/',
      'c',
      'sh',
    ]);
  });
});
