/**
 * Hostile roots: an image whose /proc, /dev, /etc/hosts or working directory is a symlink to a host
 * path must never get a mount onto, or a write into, that host path. Each victim sits on the host
 * at the absolute path the image's link names; afterwards it is unchanged and nothing is mounted on
 * it. The sandbox either mounts safely inside the root or fails with a clear error.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import {
  capture,
  hasBusybox,
  hostMountsUnder,
  makeBusyboxRoot,
  processesUsing,
  scratch,
} from './helpers/rootfs.js';

const skip = skipUnless('hostile sandbox roots (namespaces, mounts)', {
  root: isRoot,
  'busybox-static': hasBusybox,
});

describe.skipIf(skip)('hostile roots', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let root: string;
  let victimDir: string;
  let victimFile: string;
  let n = 0;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });
  beforeEach(async () => {
    root = path.join(tmp.dir, `root-${++n}`);
    await makeBusyboxRoot(root);
    victimDir = path.join(tmp.dir, `victimdir-${n}`);
    victimFile = path.join(tmp.dir, `victim-${n}`);
    await mkdir(victimDir);
    await writeFile(path.join(victimDir, 'keep'), 'keep\n');
    await writeFile(victimFile, 'victim\n');
  }, 60_000);
  afterEach(async () => {
    // The victims are exactly as they were, and nothing is mounted anywhere under the test dir.
    expect(await readdir(victimDir)).toEqual(['keep']);
    expect(await readFile(victimFile, 'utf8')).toBe('victim\n');
    expect(hostMountsUnder(tmp.dir)).toEqual([]);
    expect(processesUsing(root)).toEqual([]);
  });

  const run = (script: string, extra: Partial<SandboxSpec> = {}) =>
    capture({
      rootfs: { kind: 'dir', dir: root },
      argv: ['/bin/sh', '-c', script],
      env: ['PATH=/bin'],
      cwd: '/',
      user: '',
      network: 'none',
      hostname: 'hostile-test',
      scratchDir: path.join(tmp.dir, `scratch-${n}`),
      ...extra,
    });

  it('mounts /proc and /etc/hosts inside the root when the image points them at host paths', async () => {
    await symlink(victimDir, path.join(root, 'proc'));
    await symlink(victimFile, path.join(root, 'etc', 'hosts'));
    const result = await run('cat /proc/1/cmdline; echo; cat /etc/hosts; echo written > /etc/hosts', {
      hosts: 'sandbox hosts\n',
    });
    expect(result.stdout).toBe(
      `/bin/sh\0-c\0cat /proc/1/cmdline; echo; cat /etc/hosts; echo written > /etc/hosts\0\nsandbox hosts\n`,
    );
    // The links were followed inside the root: the mount points are there, not on the host.
    expect((await lstat(path.join(root, victimDir))).isDirectory()).toBe(true);
    expect(await readFile(path.join(root, victimFile), 'utf8')).toBe('');
  });

  it('refuses a /dev that leads to the root directory', async () => {
    await rm(path.join(root, 'dev'), { recursive: true, force: true });
    await symlink('/', path.join(root, 'dev'));
    await expect(run('true')).rejects.toMatchObject({
      code: 'DEVENV_ARCHIVE_INVALID',
      message: expect.stringContaining('/dev in the image leads to the root directory') as unknown,
    });
  });

  it('refuses /etc/hosts leading into /proc (where a mount would follow a magic link out)', async () => {
    await symlink('/proc/self/root/victim', path.join(root, 'etc', 'hosts'));
    await expect(run('true')).rejects.toMatchObject({
      code: 'DEVENV_ARCHIVE_INVALID',
      message: expect.stringContaining('leads into /proc') as unknown,
    });
  });

  it('refuses a working directory inside /proc, and creates a linked one inside the root', async () => {
    await expect(run('true', { cwd: '/proc/self/cwd' })).rejects.toMatchObject({
      code: 'DEVENV_ARCHIVE_INVALID',
    });
    await symlink(path.join(victimDir, 'work'), path.join(root, 'work'));
    const result = await run('pwd; echo x > here', { cwd: '/work' });
    expect(result.stdout).toBe(`${victimDir}/work\n`);
    expect(await readFile(path.join(root, victimDir, 'work', 'here'), 'utf8')).toBe('x\n');
  });

  it('covers hostile links with the init layer on an overlay root', async () => {
    await symlink(victimDir, path.join(root, 'proc'));
    await symlink(victimFile, path.join(root, 'etc', 'hosts'));
    await rm(path.join(root, 'dev'), { recursive: true, force: true });
    await symlink('/', path.join(root, 'dev'));
    const upper = path.join(tmp.dir, `upper-${n}`);
    const work = path.join(tmp.dir, `work-${n}`);
    await mkdir(upper);
    await mkdir(work);
    const result = await run('ls /dev/null /proc/1 >/dev/null && cat /etc/hosts', {
      rootfs: { kind: 'overlay', lowers: [root], upper, work },
      hosts: 'overlay hosts\n',
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'overlay hosts\n' });
    expect(await readdir(upper)).toEqual([]);
  });
});
