/** The setup steps as data: order, options and targets (no root needed). */
import { describe, expect, it } from 'vitest';
import { mountPlan, planArgs } from '../../../../src/runtime/embedded/sandbox/mount-plan.js';
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

describe('mountPlan', () => {
  const steps = mountPlan({ root: '/r', prepared, scratch, hostname: 'box', network: 'none' });

  it('mounts /proc first, then /dev and its contents, /sys, the /etc files, binds, and names the host', () => {
    expect(steps.map((s) => s.what)).toEqual([
      'mounting /proc',
      'mounting /dev',
      ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].flatMap((d) => [
        `creating /dev/${d}`,
        `binding /dev/${d}`,
      ]),
      'creating /dev/pts',
      'mounting /dev/pts',
      'linking /dev/ptmx',
      'creating /dev/shm',
      'mounting /dev/shm',
      'linking /dev/fd',
      'linking /dev/stdin',
      'linking /dev/stdout',
      'linking /dev/stderr',
      'mounting /sys',
      'mounting /etc/hosts',
      'mounting /etc/resolv.conf',
      'mounting /etc/hostname',
      'mounting /srv/data at /data',
      'setting the hostname',
      'bringing up the loopback interface',
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
    for (const step of steps) if (step.d !== '-') expect(step.d.startsWith('/r/')).toBe(true);
    expect(planArgs(steps)).toHaveLength(steps.length * 6);
  });

  it('leaves the loopback interface alone with the host network', () => {
    const host = mountPlan({ root: '/r', prepared, scratch, hostname: 'box', network: 'host' });
    expect(host.map((s) => s.op)).not.toContain('lo');
  });
});
