/**
 * What long-lived containers need from the sandbox: a handle on a started sandbox (its PID 1, root
 * and user; kill; done), a pty with its size and resizes, tini as PID 1, host devices (a simulated
 * USB tree whose new node shows up while the sandbox runs) and a private network whose hook runs
 * before the program. Real namespaces and processes on a busybox root, as root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import {
  capture,
  hasBusybox,
  hostMountsUnder,
  processesUsing,
  startCaptured,
  useBusyboxRoot,
} from './helpers/rootfs.js';

const hasTini = existsSync('/usr/bin/tini-static');
const skip = skipUnless('sandbox start tests (namespaces, mounts, pty, tini)', {
  root: isRoot,
  'busybox-static': hasBusybox,
  'tini (tini-static)': hasTini,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The states of `pid`'s children ("S", "Z", …). */
function childStates(pid: number): string[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(' ')
    .filter(Boolean);
  return children.map((child) => {
    const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
  });
}

describe.skipIf(skip)('startSandbox', () => {
  const fixture = useBusyboxRoot();
  let runs = 0;
  const spec = (argv: string[], extra: Partial<SandboxSpec> = {}): Omit<SandboxSpec, 'output'> => ({
    rootfs: { kind: 'dir', dir: fixture.root },
    argv,
    env: ['PATH=/bin'],
    cwd: '/',
    user: '',
    network: 'none',
    hostname: 'start-test',
    scratchDir: path.join(fixture.dir, `scratch-${++runs}`),
    ...extra,
  });
  const sh = (script: string, extra: Partial<SandboxSpec> = {}) => spec(['/bin/sh', '-c', script], extra);

  it('hands back PID 1, the root and the user; kill ends it and done resolves once all is gone', async () => {
    const s = sh('echo started; exec sleep 600', { user: 'dev' });
    const started = await startCaptured(s);
    const { sandbox } = started;
    await started.waitFor('started');
    // The host pid is the first process of its own PID namespace, in the sandbox's root.
    expect(readFileSync(`/proc/${sandbox.pid}/status`, 'utf8')).toMatch(/^NSpid:\t[0-9]+\t1$/m);
    // "started" is printed just before the shell execs sleep; the exec may still be under way.
    const cmdline = () => readFileSync(`/proc/${sandbox.pid}/cmdline`, 'utf8');
    for (let i = 0; i < 100 && cmdline() !== 'sleep\x00600\x00'; i++) await sleep(100);
    expect(cmdline()).toBe('sleep\x00600\x00');
    expect(sandbox.root).toBe(fixture.root);
    // The setup moved the root over the namespace's /, so nothing of the host's tree is above it.
    expect(readlinkSync(`/proc/${sandbox.pid}/root`)).toBe('/');
    expect(sandbox.user).toEqual({ uid: 1000, gid: 1000, groups: [50] });
    sandbox.kill('SIGKILL');
    expect(await sandbox.done).toMatchObject({ exitCode: 137 });
    expect(existsSync(`/proc/${sandbox.pid}`)).toBe(false);
    expect(existsSync(s.scratchDir)).toBe(false);
    expect(processesUsing(fixture.root)).toEqual([]);
    // Kill after the end is harmless.
    sandbox.kill('SIGKILL');
  });

  it('done resolves with the exit status of a program that ends by itself', async () => {
    const { sandbox } = await startCaptured(sh('exit 5'));
    expect(await sandbox.done).toEqual({ exitCode: 5 });
  });

  it('rejects when the setup fails, or when beforeStart does, leaving nothing behind', async () => {
    await expect(startCaptured(sh('true', { user: 'nobody' }))).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
    });
    const s = sh('echo never');
    let hookPid = 0;
    await expect(
      startCaptured({
        ...s,
        beforeStart: (pid) => {
          hookPid = pid;
          return Promise.reject(new Error('slirp4netns refused'));
        },
      }),
    ).rejects.toThrow('slirp4netns refused');
    expect(hookPid).toBeGreaterThan(0);
    // Killed; its exit may take a moment to be reaped on a busy machine.
    for (
      let i = 0;
      i < 100 &&
      existsSync(`/proc/${hookPid}/cmdline`) &&
      readFileSync(`/proc/${hookPid}/cmdline`).length > 0;
      i++
    )
      await sleep(100);
    expect(existsSync(`/proc/${hookPid}`) ? readFileSync(`/proc/${hookPid}/cmdline`, 'utf8') : '').toBe('');
    expect(existsSync(s.scratchDir)).toBe(false);
    expect(hostMountsUnder(fixture.dir)).toEqual([]);
  });

  it('private network: beforeStart gets PID 1 in its own network namespace, before the program runs', async () => {
    const hostNet = readlinkSync('/proc/self/ns/net');
    const seen: { net: string; status: string; root: string }[] = [];
    const beforeStart = (pid: number) => {
      seen.push({
        net: readlinkSync(`/proc/${pid}/ns/net`),
        // Still devenv's setup shell: the program has not started.
        status: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '',
        root: readlinkSync(`/proc/${pid}/root`),
      });
      return Promise.resolve();
    };
    const result = await capture(sh('ip -o link; cat /etc/hosts', { network: 'private', beforeStart }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.net).not.toBe(hostNet);
    expect(seen[0]?.status).toMatch(/bash$/);
    expect(seen[0]?.root).toBe('/');
    expect(result.stdout).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(result.stdout).not.toMatch(/^2: /m);
    expect(result.stdout).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    // beforeStart runs for the host network too, with the host's namespace.
    seen.length = 0;
    await capture(sh('true', { network: 'host', beforeStart }));
    expect(seen[0]?.net).toBe(hostNet);
  });

  describe('tty', () => {
    it('runs the program on a pty of the given size, stdout and stderr merged', async () => {
      const result = await capture(
        sh(
          'tty; stty size; echo err >&2; ls -l /dev/console; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty',
          {
            tty: { rows: 24, cols: 80 },
            stdin: new PassThrough(),
          },
        ),
      );
      const lines = result.stdout.split('\r\n');
      expect(lines[0]).toMatch(/^\/dev\//);
      expect(lines[1]).toBe('24 80');
      expect(lines[2]).toBe('err');
      // The pty's own node (a Unix98 pty slave, major 136) is bound onto /dev/console.
      expect(lines[3]).toMatch(/^crw-[-rw]{6} .* 136,\s+[0-9]+ .* \/dev\/console$/);
      expect(lines[4]).toBe('all-tty');
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
    });

    it('resize delivers the new size to the program', async () => {
      const started = await startCaptured(
        sh('trap "stty size" WINCH; echo ready; while :; do sleep 0.1; done', {
          tty: { rows: 10, cols: 20 },
        }),
      );
      await started.waitFor('ready');
      await started.sandbox.resize(33, 111);
      await started.waitFor('33 111');
      started.sandbox.kill('SIGKILL');
      await started.sandbox.done;
    });

    it("passes input through and keeps it open when the caller's stream ends", async () => {
      const stdin = new PassThrough();
      const started = await startCaptured(
        sh('read line; echo "got:$line"; sleep 1; read more; echo "more:$more"', {
          tty: { rows: 24, cols: 80 },
          stdin,
        }),
      );
      stdin.write('abc\r');
      await started.waitFor('got:abc');
      stdin.end();
      await sleep(300);
      // The end of the stream was not an end of input: the program still waits for its line.
      expect(existsSync(`/proc/${started.sandbox.pid}`)).toBe(true);
      started.sandbox.kill('SIGKILL');
      expect(await started.sandbox.done).toMatchObject({ exitCode: 137 });
    });
  });

  describe('init', () => {
    it('runs tini at /dev/init as PID 1 and passes the exit status through', async () => {
      const result = await capture(sh('cat /proc/1/cmdline; echo; exit 3', { init: true }));
      expect(result.stdout).toBe('/dev/init\0-s\0-g\0--\0/bin/sh\0-c\0cat /proc/1/cmdline; echo; exit 3\0\n');
      expect(result.exitCode).toBe(3);
    });

    it('reaps zombies, which a program as PID 1 leaves', async () => {
      const orphan = ['/bin/sh', '-c', '(sleep 0.1 &); echo started; exec sleep 600'];
      const zombies: Record<string, string[]> = {};
      for (const init of [false, true]) {
        const started = await startCaptured(spec(orphan, { init }));
        await started.waitFor('started');
        await sleep(1000);
        zombies[String(init)] = childStates(started.sandbox.pid).filter((state) => state === 'Z');
        started.sandbox.kill('SIGKILL');
        await started.sandbox.done;
      }
      expect(zombies).toEqual({ false: ['Z'], true: [] });
    });

    it('kill SIGTERM reaches the program through tini', async () => {
      const started = await startCaptured(
        sh('trap "echo term; exit 3" TERM; echo ready; while :; do sleep 0.1; done', { init: true }),
      );
      await started.waitFor('ready');
      started.sandbox.kill('SIGTERM');
      expect(await started.sandbox.done).toEqual({ exitCode: 3 });
      expect(started.stdout()).toBe('ready\nterm\n');
      const plain = await startCaptured(sh('echo ready; exec sleep 600', { init: true }));
      await plain.waitFor('ready');
      plain.sandbox.kill('SIGTERM');
      expect(await plain.sandbox.done).toEqual({ exitCode: 143 });
    });
  });

  describe('devices', () => {
    let usb: string;
    beforeAll(() => {
      usb = path.join(fixture.dir, 'usb');
      execFileSync('mkdir', ['-p', usb]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'usb-test', usb]);
      execFileSync('mkdir', [path.join(usb, '001')]);
      execFileSync('mknod', [path.join(usb, '001', '001'), 'c', '189', '0']);
      execFileSync('mknod', [path.join(usb, 'null'), 'c', '1', '3']);
    });
    afterAll(() => {
      execFileSync('umount', [usb]);
    });

    it('binds a node and a tree; a node the host adds later appears inside', async () => {
      const started = await startCaptured(
        sh(
          'echo x > /dev/mynull && ls -l /dev/mynull; echo started; while [ ! -e /dev/bus/usb/001/002 ]; do sleep 0.1; done; ls -l /dev/bus/usb/001',
          {
            devices: [
              { source: path.join(usb, 'null'), target: '/dev/mynull', kind: 'node' },
              { source: usb, target: '/dev/bus/usb', kind: 'tree' },
            ],
          },
        ),
      );
      await started.waitFor('started');
      execFileSync('mknod', [path.join(usb, '001', '002'), 'c', '189', '1']);
      expect(await started.sandbox.done).toEqual({ exitCode: 0 });
      const out = started.stdout();
      expect(out).toMatch(/^crw-r--r-- .* 1,\s+3 .* \/dev\/mynull$/m);
      expect(out).toMatch(/^crw-r--r-- .* 189,\s+0 .* 001$/m);
      expect(out).toMatch(/^crw-r--r-- .* 189,\s+1 .* 002$/m);
    });

    it('refuses a node that is not a device, targets outside /dev or on its own entries, and overlaps', async () => {
      const file = path.join(fixture.dir, 'not-a-device');
      await writeFile(file, '');
      await mkdir(path.join(fixture.dir, 'a-dir'), { recursive: true });
      const cases: [SandboxSpec['devices'], RegExp][] = [
        [
          [{ source: file, target: '/dev/x', kind: 'node' }],
          /not-a-device is not a character or block device/,
        ],
        [
          [{ source: path.join(usb, 'null'), target: '/dev/pts/9', kind: 'node' }],
          /one of the sandbox's own/,
        ],
        [[{ source: path.join(usb, 'null'), target: '/etc/x', kind: 'node' }], /is not a path under \/dev/],
        [
          [{ source: path.join(usb, 'null'), target: '/dev/../x', kind: 'node' }],
          /is not a path under \/dev/,
        ],
        [[{ source: file, target: '/dev/bus', kind: 'tree' }], /is not a folder/],
        [
          [
            { source: usb, target: '/dev/bus', kind: 'tree' },
            { source: path.join(usb, 'null'), target: '/dev/bus/x', kind: 'node' },
          ],
          /overlap/,
        ],
      ];
      for (const [devices, message] of cases)
        await expect(capture(sh('true', { devices }))).rejects.toMatchObject({
          code: 'DEVENV_CONFIG_INVALID',
          message: expect.stringMatching(message) as unknown,
        });
    });
  });
});
