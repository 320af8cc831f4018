/**
 * Host devices in an environment. X11: an Xvfb display that demands a cookie; xdpyinfo inside the
 * environment describes it through the read-only X socket and the per-environment cookie, and fails
 * without the cookie. USB: a bus simulated under /dev/bus/usb when the host has none; the
 * environment can open its char 189 nodes without full privilege, a node added while it runs
 * appears inside, and a host without a bus is refused clearly.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { waitFor } from '../../helpers/wait-for.js';
import { services } from '../docker/env.js';
import { lacks } from '../needs.js';
import { forEachRuntime } from './runtimes.js';
import { envName, ok, projectOn } from './scenario.js';

/** A bus this host really has is never touched: the tests that would remove or add nodes skip. */
const realUsbBus = existsSync('/dev/bus/usb');
/** What usbBus() made (/dev/bus, or only /dev/bus/usb below a /dev/bus that was there), to remove. */
let madeBus: string | undefined;

/** /dev/bus/usb with one device node, made when the host has no bus (this needs root). */
async function usbBus(): Promise<void> {
  if (existsSync('/dev/bus/usb')) return;
  madeBus = existsSync('/dev/bus') ? '/dev/bus/usb' : '/dev/bus';
  mkdirSync('/dev/bus/usb/001', { recursive: true });
  await execa('mknod', ['/dev/bus/usb/001/001', 'c', '189', '0']);
}

function removeMadeBus(): void {
  if (madeBus !== undefined) rmSync(madeBus, { recursive: true, force: true });
  madeBus = undefined;
}

/** One Xvfb for the file, on a display number of its own, demanding the cookie in `cookie`. */
let xvfb: ResultPromise | undefined;
const display = `:${100 + (process.pid % 400)}`;
const xDir = mkdtempSync(path.join(os.tmpdir(), 'devenv-conf-x11-'));
const cookie = path.join(xDir, 'Xauthority');

async function startXvfb(): Promise<void> {
  if (xvfb !== undefined) return;
  await execa('xauth', ['-f', cookie, 'add', display, '.', (await execa('mcookie')).stdout]);
  xvfb = execa('Xvfb', [display, '-nolisten', 'tcp', '-auth', cookie], { reject: false });
  await waitFor(() => existsSync(`/tmp/.X11-unix/X${display.slice(1)}`), `Xvfb on ${display}`);
}

afterAll(() => {
  xvfb?.kill();
  removeMadeBus();
});

/** Whether the capability numbered `bit` is in the effective set that /proc/self/status shows. */
function hasCapability(status: string, bit: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
}
const CAP_SYS_ADMIN = 21;

forEachRuntime('devices', ['build', 'containers'], (runtime) => {
  it.skipIf(lacks('debian', 'xvfb'))(
    'X11: xdpyinfo inside describes the host display through the cookie only; the socket is read-only',
    async () => {
      await startXvfb();
      const user = runtime.user({ DISPLAY: display, XAUTHORITY: cookie });
      const dir = makeProject({
        'devenv.yml': [
          `name: ${envName(runtime, 'x11')}`,
          `base: ${services.debianImage}`,
          'packageManager: apt',
          'packages: [x11-utils]',
          'devices: {x11: true}',
          'network: none',
          '',
        ].join('\n'),
      });
      await ok(user, dir, ['up', '-d'], { timeout: 600_000 });
      const info = await user.run(dir, ['exec', '--', 'xdpyinfo']);
      expect(info.exitCode, info.stderr).toBe(0);
      expect(info.stdout).toMatch(new RegExp(`name of display:\\s+${display}\\b`));
      const noCookie = await user.run(dir, ['exec', '--', 'sh', '-c', 'XAUTHORITY=/dev/null xdpyinfo']);
      expect(noCookie.exitCode).not.toBe(0);
      const write = await user.run(dir, ['exec', '--', 'touch', '/tmp/.X11-unix/written']);
      expect(write.exitCode).not.toBe(0);
      expect(write.stderr).toMatch(/Read-only file system/);
      await ok(user, dir, ['rm', '-f', '--volumes']);
    },
  );

  it.skipIf(lacks('root'))(
    'USB: /dev/bus/usb is shared live without full privilege; a node added while it runs appears',
    async () => {
      await usbBus();
      const user = runtime.user();
      const dir = projectOn(runtime, envName(runtime, 'usb'), ['devices: {usb: true}']);
      await ok(user, dir, ['up', '-d']);
      // Opening the node is allowed (no EPERM); the simulated device itself does not answer.
      const open = await user.run(dir, [
        'exec',
        '--',
        'sh',
        '-c',
        'head -c1 /dev/bus/usb/001/001; echo " status=$?"',
      ]);
      expect(`${open.stdout}${open.stderr}`).not.toMatch(/Operation not permitted/);
      expect(
        hasCapability(await ok(user, dir, ['exec', '--', 'cat', '/proc/self/status']), CAP_SYS_ADMIN),
      ).toBe(false);
      if (!realUsbBus) {
        await execa('mknod', ['/dev/bus/usb/001/002', 'c', '189', '1']);
        expect((await ok(user, dir, ['exec', '--', 'ls', '/dev/bus/usb/001'])).split('\n')).toEqual([
          '001',
          '002',
        ]);
      }
      await ok(user, dir, ['rm', '-f']);
      removeMadeBus();
    },
  );

  it.skipIf(realUsbBus || lacks('root'))('usb: true on a host without a USB bus fails clearly', async () => {
    removeMadeBus();
    const user = runtime.user();
    const result = await user.run(projectOn(runtime, envName(runtime, 'no-usb'), ['devices: {usb: true}']), [
      'up',
      '-d',
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('devices.usb is on but this host has no /dev/bus/usb');
  });
});
