/**
 * The classification behind `devenv doctor`: which host facts are fine, which degrade (warn) and which
 * break the embedded runtime (fail), and what the store's report turns into.
 */
import { describe, expect, it } from 'vitest';
import { doctorExitCode, weighChecks } from '../../../src/runtime/checks.js';
import {
  embeddedHostChecks,
  storeChecks,
  TOOLS,
  toolCheck,
  utilLinuxVersion,
} from '../../../src/runtime/embedded/host-check.js';
import type { EmbeddedHostFacts } from '../../../src/runtime/embedded/host-check.js';

const tool = (version: string) => ({ path: `/usr/bin/x`, versionText: `x from util-linux ${version}` });

function healthy(overrides: Partial<EmbeddedHostFacts> = {}): EmbeddedHostFacts {
  return {
    platform: 'linux',
    kernel: '6.1.0-18-amd64',
    uid: 0,
    overlayInKernel: true,
    overlayProbe: { dir: '/var/lib/devenv/tmp', works: true },
    layerMode: undefined,
    mountNamespaces: true,
    userNamespaces: true,
    unprivilegedUsernsClone: '1',
    maxUserNamespaces: '63766',
    tools: Object.fromEntries(TOOLS.map((t) => [t.name, tool('2.38.1')])),
    tini: { static: true, plain: true },
    ...overrides,
  };
}

const byName = (facts: EmbeddedHostFacts, name: string) =>
  embeddedHostChecks(facts).find((c) => c.name === name);

describe('util-linux versions', () => {
  it('reads the version from --version lines and refuses other implementations', () => {
    expect(utilLinuxVersion('unshare from util-linux 2.38.1')).toEqual([2, 38, 1]);
    expect(utilLinuxVersion('mount from util-linux 2.39 (libmount 2.39.0: selinux)')).toEqual([2, 39, 0]);
    expect(utilLinuxVersion('BusyBox v1.36.1 (Debian 1:1.36.1-3) multi-call binary.')).toBeUndefined();
  });

  it('fails a tool that is missing, too old or not util-linux; any flock will do', () => {
    const unshare = TOOLS.find((t) => t.name === 'unshare')!;
    const flock = TOOLS.find((t) => t.name === 'flock')!;
    expect(toolCheck(unshare, tool('2.38.1')).status).toBe('ok');
    expect(toolCheck(unshare, tool('2.40')).status).toBe('ok');
    expect(toolCheck(unshare, tool('3.0')).status).toBe('ok');
    const old = toolCheck(unshare, tool('2.37.4'));
    expect(old).toMatchObject({
      status: 'fail',
      hint: expect.stringContaining('apt-get install util-linux'),
    });
    expect(old.detail).toContain('need 2.38 or newer');
    expect(toolCheck(unshare, undefined)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('not found'),
    });
    expect(
      toolCheck(unshare, { path: '/bin/unshare', versionText: 'BusyBox v1.36.1 multi-call binary.' }),
    ).toMatchObject({ status: 'fail', detail: expect.stringContaining("is not util-linux's") });
    expect(toolCheck(flock, tool('2.33.1')).status).toBe('ok');
    const script = TOOLS.find((t) => t.name === 'script')!;
    expect(toolCheck(script, undefined).hint).toContain('bsdutils');
  });
});

describe('embedded host checks', () => {
  it('all ok on a Debian 12 host as root', () => {
    const checks = embeddedHostChecks(healthy());
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'Linux',
      'overlayfs',
      'mount namespaces',
      'user namespaces',
      'flock',
      'unshare',
      'mount',
      'nsenter',
      'setpriv',
      'script',
      'tini',
    ]);
  });

  it('needs Linux, and says only that elsewhere', () => {
    expect(embeddedHostChecks(healthy({ platform: 'darwin' }))).toEqual([
      expect.objectContaining({ name: 'Linux', status: 'fail', hint: 'use --runtime docker' }),
    ]);
  });

  it('without overlay: flatten mode is a warning, unless the store already holds overlay diffs', () => {
    const noProbe = { dir: '/nfs/devenv/tmp', works: false };
    expect(byName(healthy({ overlayProbe: noProbe }), 'overlayfs')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('flatten mode'),
      hint: expect.stringContaining('storage move'),
    });
    expect(byName(healthy({ overlayProbe: noProbe, overlayInKernel: false }), 'overlayfs')).toMatchObject({
      status: 'warn',
      hint: 'load the module: modprobe overlay',
    });
    expect(byName(healthy({ overlayProbe: noProbe, uid: 1000 }), 'overlayfs')?.hint).toContain('rootless');
    expect(byName(healthy({ overlayProbe: noProbe, layerMode: 'overlay' }), 'overlayfs')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining("this store's layers are overlay diffs"),
    });
    expect(byName(healthy({ layerMode: 'flatten' }), 'overlayfs')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('flatten mode and stays so'),
    });
  });

  it('user namespaces: optional for root, required rootless, with the sysctl to change', () => {
    const off = { userNamespaces: false, maxUserNamespaces: '0' };
    expect(byName(healthy(off), 'user namespaces')).toMatchObject({
      status: 'warn',
      hint: 'sysctl -w user.max_user_namespaces=15000',
    });
    expect(byName(healthy({ ...off, uid: 1000 }), 'user namespaces')?.status).toBe('fail');
    expect(
      byName(healthy({ userNamespaces: false, unprivilegedUsernsClone: '0', uid: 1000 }), 'user namespaces'),
    ).toMatchObject({ status: 'fail', hint: 'sysctl -w kernel.unprivileged_userns_clone=1' });
    expect(byName(healthy({ unprivilegedUsernsClone: undefined }), 'user namespaces')?.detail).toBe(
      'usable (user.max_user_namespaces=63766)',
    );
  });

  it('mount namespaces are required; tini-static is a warning until containers land', () => {
    expect(byName(healthy({ mountNamespaces: false }), 'mount namespaces')?.status).toBe('fail');
    expect(byName(healthy({ tini: { static: false, plain: true } }), 'tini')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('only the dynamic tini'),
      hint: 'apt-get install tini',
    });
  });
});

describe('store checks', () => {
  const root = { root: '/srv/devenv', source: 'settings' as const };

  it('a missing store is fine; a clean one is ok', () => {
    expect(storeChecks(root, undefined)).toEqual([
      expect.objectContaining({
        name: 'location',
        status: 'ok',
        detail: expect.stringContaining('made on first use'),
      }),
    ]);
    expect(storeChecks(root, { root: root.root, issues: [], clean: true }).map((c) => c.status)).toEqual([
      'ok',
      'ok',
    ]);
  });

  it('issues fail with every message; repair actions are listed', () => {
    const report = {
      root: root.root,
      clean: false,
      issues: [
        {
          kind: 'leftover' as const,
          path: '/srv/devenv/ingest/ab',
          message: 'stale ingest: its process 7 is gone',
        },
        { kind: 'dangling-ref' as const, path: '/srv/devenv/refs.json', message: 'tag x points at nothing' },
      ],
    };
    const consistency = storeChecks(root, report).find((c) => c.name === 'consistency');
    expect(consistency).toMatchObject({ status: 'fail', hint: 'run devenv doctor --repair' });
    expect(consistency?.detail).toBe(
      '2 problems:\nstale ingest: its process 7 is gone\ntag x points at nothing',
    );
    const unsafe = {
      ...report,
      issues: [{ kind: 'unsafe-root' as const, path: '/srv', message: 'mode 777' }],
    };
    expect(storeChecks(root, unsafe).find((c) => c.name === 'consistency')?.hint).toContain('need you');
    const repaired = storeChecks(
      root,
      { root: root.root, issues: [], clean: true },
      { root: root.root, actions: ['removed a', 'removed b'], remaining: [], clean: true },
    );
    expect(repaired.find((c) => c.name === 'repair')).toMatchObject({
      status: 'ok',
      detail: 'removed a\nremoved b',
    });
  });
});

describe('weighing the report', () => {
  it('a runtime the user did not choose only warns; the store always counts; exit 1 on any failure', () => {
    const checks = [
      { section: 'docker' as const, name: 'daemon', status: 'fail' as const, detail: 'down' },
      { section: 'embedded' as const, name: 'unshare', status: 'fail' as const, detail: 'old' },
      { section: 'store' as const, name: 'consistency', status: 'ok' as const, detail: 'clean' },
    ];
    const embedded = weighChecks(checks, new Set(['embedded']));
    expect(embedded.map((c) => c.status)).toEqual(['warn', 'fail', 'ok']);
    expect(doctorExitCode(embedded)).toBe(1);
    const docker = weighChecks(checks.slice(0, 1), new Set(['embedded']));
    expect(doctorExitCode(docker)).toBe(0);
    const broken = weighChecks(
      [{ section: 'store', name: 'consistency', status: 'fail', detail: 'x' }],
      new Set(['docker']),
    );
    expect(doctorExitCode(broken)).toBe(1);
  });
});
