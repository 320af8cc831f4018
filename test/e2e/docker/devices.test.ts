/**
 * Device sharing on a real engine. X11: an Xvfb display that demands a cookie; xdpyinfo inside the
 * environment describes it through the read-only socket and the per-environment cookie. USB: a bus
 * simulated under /dev/bus/usb (this VM has none): the device cgroup rule lets the container open
 * char 189 nodes without --privileged, and nodes added later appear without a restart.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run, services } from './env.js';
import { lacks } from '../needs.js';

let xvfb: ResultPromise | undefined;
let madeUsbBus = false;

afterAll(async () => {
  xvfb?.kill();
  await docker(['rm', '-f', 'dev-x11', 'dev-usb']);
  if (madeUsbBus) rmSync('/dev/bus', { recursive: true, force: true });
});

describe.skipIf(noDocker)('devices', () => {
  it.skipIf(lacks('debian', 'xvfb'))(
    'X11: xdpyinfo in the environment describes the host display, through the cookie only',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'x11-'));
      const cookie = path.join(dir, 'Xauthority');
      const mcookie = (await execa('mcookie')).stdout;
      await execa('xauth', ['-f', cookie, 'add', ':99', '.', mcookie]);
      xvfb = execa('Xvfb', [':99', '-nolisten', 'tcp', '-auth', cookie], { reject: false });
      for (let i = 0; i < 50 && !existsSync('/tmp/.X11-unix/X99'); i++)
        await new Promise((r) => setTimeout(r, 100));

      const env = isolatedEnv({ DISPLAY: ':99', XAUTHORITY: cookie });
      const project = makeProject({
        'devenv.yml': [
          'name: dev-x11',
          `base: ${services.debianImage}`,
          'packageManager: apt',
          'packages: [x11-utils]',
          'devices: {x11: true}',
          'network: none',
        ].join('\n'),
      });
      const up = await run(project, env, ['up', '-d'], { timeout: 600_000 });
      expect(up.exitCode, up.stderr).toBe(0);
      const info = await run(project, env, ['exec', '--', 'xdpyinfo']);
      expect(info.exitCode, info.stderr).toBe(0);
      expect(info.stdout).toMatch(/name of display:\s+:99/);
      const noCookie = await run(project, env, ['exec', '--', 'sh', '-c', 'XAUTHORITY=/dev/null xdpyinfo']);
      expect(noCookie.exitCode).not.toBe(0);
      const mounts = (await docker(['inspect', '--format', '{{json .Mounts}}', 'dev-x11'])).stdout;
      expect(mounts).toMatch(/"Destination":"\/tmp\/\.X11-unix","Mode":"","RW":false/);
    },
  );

  it.skipIf(lacks('root'))(
    'USB: /dev/bus/usb is shared live through a cgroup rule, not --privileged',
    async () => {
      if (!existsSync('/dev/bus/usb')) {
        madeUsbBus = !existsSync('/dev/bus');
        mkdirSync('/dev/bus/usb/001', { recursive: true });
        await execa('mknod', ['/dev/bus/usb/001/001', 'c', '189', '0']);
      }
      const env = isolatedEnv();
      const dir = busyboxProject('dev-usb', ['devices: {usb: true}']);
      const up = await run(dir, env, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(
        (
          await docker([
            'inspect',
            '--format',
            '{{.HostConfig.Privileged}} {{json .HostConfig.DeviceCgroupRules}}',
            'dev-usb',
          ])
        ).stdout,
      ).toBe('false ["c 189:* rmw"]');
      // Opening the node is allowed by the cgroup (no EPERM); the fake device itself does not answer.
      const open = await run(dir, env, [
        'exec',
        '--',
        'sh',
        '-c',
        'head -c1 /dev/bus/usb/001/001; echo " status=$?"',
      ]);
      expect(`${open.stdout}${open.stderr}`).not.toMatch(/Operation not permitted/);
      if (madeUsbBus) {
        await execa('mknod', ['/dev/bus/usb/001/002', 'c', '189', '1']);
        expect((await run(dir, env, ['exec', '--', 'ls', '/dev/bus/usb/001'])).stdout.split('\n')).toEqual([
          '001',
          '002',
        ]);
      }
    },
  );

  it('usb: true on a host without a USB bus fails clearly', async () => {
    if (existsSync('/dev/bus/usb') && !madeUsbBus) return;
    rmSync('/dev/bus', { recursive: true, force: true });
    madeUsbBus = false;
    const result = await run(busyboxProject('dev-nousb', ['devices: {usb: true}']), isolatedEnv(), [
      'up',
      '-d',
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('devices.usb is on but this host has no /dev/bus/usb');
  });
});
