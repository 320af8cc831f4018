/** The setup steps as data: order, options and targets (no root needed). */
import { describe, expect, it } from 'vitest';
import { mountPlan, planArgs } from '../../../../src/runtime/embedded/sandbox/mount-plan.js';
import type { MountPlanInput } from '../../../../src/runtime/embedded/sandbox/mount-plan.js';
import type { PreparedRoot } from '../../../../src/runtime/embedded/sandbox/prepare-root.js';

const prepared: PreparedRoot = {
  user: { uid: 0, gid: 0, groups: [] },
  proc: 'proc',
  dev: 'dev',
  sys: 'sys',
  hosts: 'etc/hosts',
  resolvConf: 'etc/resolv.conf',
  hostname: 'etc/hostname',
  binds: [{ source: '/srv/data', target: 'data', readonly: true }],
  cwd: '',
};
const scratch = { hosts: '/s/hosts', resolvConf: '/s/resolv.conf', hostname: '/s/hostname' };

const input: MountPlanInput = {
  root: '/r',
  prepared,
  scratch,
  hostname: 'box',
  network: 'none',
  privileged: false,
  masks: {
    masked: [
      { path: '/proc/kcore', dir: false },
      { path: '/sys/firmware', dir: true },
    ],
    readonly: ['/proc/sys'],
  },
  devices: [],
  init: undefined,
  tty: false,
  toolbox: [],
};

describe('mountPlan', () => {
  const steps = mountPlan(input);

  it('mounts /proc first, then /dev: what is made in it, then what is mounted there; /sys, the /etc files, binds, and names the host', () => {
    expect(steps.map((s) => s.what)).toEqual([
      'binding the root onto itself',
      'mounting /proc',
      'mounting /dev',
      ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((d) => `creating /dev/${d}`),
      'creating /dev/pts',
      'creating /dev/shm',
      'creating /dev/mqueue',
      'linking /dev/ptmx',
      'linking /dev/fd',
      'linking /dev/stdin',
      'linking /dev/stdout',
      'linking /dev/stderr',
      ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((d) => `binding /dev/${d}`),
      'mounting /dev/pts',
      'mounting /dev/shm',
      'mounting /dev/mqueue',
      'mounting /sys',
      'mounting /etc/hosts',
      'mounting /etc/resolv.conf',
      'mounting /etc/hostname',
      'mounting /srv/data at /data',
      'masking /proc/kcore',
      'masking /sys/firmware',
      'making /proc/sys read-only',
      'setting the hostname',
      'bringing up the loopback interface',
      'moving the root over /',
    ]);
  });

  it('ends by moving the root over /, which it first made a mount point of its own', () => {
    expect(steps[0]).toMatchObject({ op: 'rootbind', c: '/r', d: '/r' });
    expect(steps.at(-1)).toMatchObject({ op: 'moveroot', d: '/r' });
  });

  it('mounts the toolbox only when asked: host files bound read-only, then the tmpfs made read-only', () => {
    expect(steps.some((s) => s.what.includes('toolbox'))).toBe(false);
    const boxed = mountPlan({ ...input, toolbox: [{ name: 'setpriv', source: '/usr/bin/setpriv' }] });
    const box = boxed.filter((s) => s.d.startsWith('/r/dev/.devenv'));
    expect(box.map((s) => [s.op, s.b, s.c, s.d])).toEqual([
      ['dir', '-', '-', '/r/dev/.devenv'],
      ['mount', 'nosuid,nodev,mode=755,size=64k', 'toolbox', '/r/dev/.devenv'],
      ['file', '-', '-', '/r/dev/.devenv/setpriv'],
      ['bind', 'ro,nosuid,nodev', '/usr/bin/setpriv', '/r/dev/.devenv/setpriv'],
      ['readonly', '-', '-', '/r/dev/.devenv'],
    ]);
  });

  it("uses Docker's options and only paths under the root", () => {
    const byWhat = Object.fromEntries(steps.map((s) => [s.what, s]));
    expect(byWhat['mounting /proc']).toMatchObject({ a: 'proc', b: 'nosuid,nodev,noexec', d: '/r/proc' });
    expect(byWhat['mounting /sys']).toMatchObject({ a: 'sysfs', b: 'ro,nosuid,nodev,noexec', d: '/r/sys' });
    expect(byWhat['mounting /dev/pts']?.b).toContain('newinstance,ptmxmode=0666');
    expect(byWhat['mounting /dev/shm']?.b).toContain('mode=1777');
    expect(byWhat['binding /dev/null']).toMatchObject({ c: '/dev/null', d: '/r/dev/null' });
    expect(byWhat['mounting /srv/data at /data']).toMatchObject({
      b: 'ro,nosuid,nodev',
      c: '/srv/data',
      d: '/r/data',
    });
    for (const step of steps.slice(1, -1)) if (step.d !== '-') expect(step.d.startsWith('/r/')).toBe(true);
    expect(planArgs(steps)).toHaveLength(steps.length * 6);
  });

  it('leaves the loopback interface alone with the host network', () => {
    const host = mountPlan({ ...input, network: 'host' });
    expect(host.map((s) => s.op)).not.toContain('lo');
    expect(mountPlan({ ...input, network: 'private' }).map((s) => s.op)).toContain('lo');
  });

  it("masks Docker's paths: /dev/null over files, a read-only tmpfs over folders, read-only binds", () => {
    const byWhat = Object.fromEntries(steps.map((s) => [s.what, s]));
    expect(byWhat['masking /proc/kcore']).toMatchObject({ op: 'bind', c: '/dev/null', d: '/r/proc/kcore' });
    expect(byWhat['masking /sys/firmware']).toMatchObject({ op: 'mount', a: 'tmpfs', d: '/r/sys/firmware' });
    expect(byWhat['masking /sys/firmware']?.b).toMatch(/^ro,/);
    expect(byWhat['making /proc/sys read-only']).toMatchObject({
      op: 'bind',
      b: 'ro,nosuid,nodev,noexec',
      c: '/r/proc/sys',
      d: '/r/proc/sys',
    });
  });

  it('privileged: /sys writable and nothing masked', () => {
    const privileged = mountPlan({ ...input, privileged: true });
    expect(privileged.find((s) => s.what === 'mounting /sys')?.b).toBe('rw,nosuid,nodev,noexec');
    expect(privileged.filter((s) => /^(masking|making)/.test(s.what))).toEqual([]);
  });

  it('binds init read-only, the console, and devices into the /dev tmpfs only', () => {
    const extra = mountPlan({
      ...input,
      init: '/usr/bin/tini-static',
      tty: true,
      devices: [
        { source: '/dev/ttyUSB0', target: 'ttyUSB0', kind: 'node' },
        { source: '/dev/bus/usb', target: 'bus/usb', kind: 'tree' },
        { source: '/dev/bus/other', target: 'bus/other', kind: 'tree' },
      ],
    });
    const dev = extra.filter((s) => /\/dev\/(init|console|ttyUSB0|bus)/.test(s.d));
    expect(dev.map((s) => [s.op, s.b, s.c, s.d])).toEqual([
      ['file', '-', '-', '/r/dev/init'],
      ['file', '-', '-', '/r/dev/console'],
      ['console', '-', '-', '/r/dev/console'],
      ['bind', 'ro,nosuid,nodev', '/usr/bin/tini-static', '/r/dev/init'],
      ['dir', '-', '-', '/r/dev/bus'],
      ['dir', '-', '-', '/r/dev/bus/usb'],
      ['dir', '-', '-', '/r/dev/bus/other'],
      ['file', '-', '-', '/r/dev/ttyUSB0'],
      ['bind', '-', '/dev/ttyUSB0', '/r/dev/ttyUSB0'],
      ['rbind', '-', '/dev/bus/usb', '/r/dev/bus/usb'],
      ['rbind', '-', '/dev/bus/other', '/r/dev/bus/other'],
    ]);
  });
});
