/**
 * The sandbox on an overlay root, as the builder uses it: lower layers top first, writes and
 * deletes land in the upper dir (deletes as char 0:0 whiteouts), the lowers stay untouched, and the
 * sandbox's own mount points (/proc, /dev, /sys, the /etc files) never appear in the upper dir.
 */
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import { capture, GROUP, hasBusybox, makeBusyboxRoot, PASSWD, scratch } from './helpers/rootfs.js';

const skip = skipUnless('sandbox overlay tests (namespaces, overlayfs)', {
  root: isRoot,
  'busybox-static': hasBusybox,
});

describe.skipIf(skip)('runInSandbox on an overlay root', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let base: string;
  let top: string;
  beforeAll(async () => {
    tmp = await scratch();
    base = path.join(tmp.dir, 'layers', 'base');
    top = path.join(tmp.dir, 'layers', 'top');
    await makeBusyboxRoot(base);
    await writeFile(path.join(base, 'etc', 'old'), 'old\n');
    await mkdir(path.join(top, 'etc'), { recursive: true });
    await writeFile(path.join(top, 'etc', 'passwd'), `${PASSWD}builder:x:1500:1500::/home/builder:/bin/sh\n`);
  }, 60_000);
  afterAll(async () => {
    await tmp.cleanup();
  });

  let runs = 0;
  const runOverlay = async (script: string, user = '', cwd = '/') => {
    const n = ++runs;
    const upper = path.join(tmp.dir, `upper-${n}`);
    const work = path.join(tmp.dir, `work-${n}`);
    await mkdir(upper);
    await mkdir(work);
    const result = await capture({
      rootfs: { kind: 'overlay', lowers: [top, base], upper, work },
      argv: ['/bin/sh', '-c', script],
      env: ['PATH=/bin'],
      cwd,
      user,
      network: 'none',
      hostname: 'overlay-test',
      scratchDir: path.join(tmp.dir, `scratch-${n}`),
    });
    return { ...result, upper };
  };

  it('puts writes and deletes in the upper dir, as whiteouts for deletes', async () => {
    const result = await runOverlay(
      'echo new > /new && rm /etc/old && mkdir -p /a/b && cat /proc/1/cmdline >/dev/null && cat /etc/hosts >/dev/null && ls /etc',
    );
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).not.toMatch(/^old$/m);
    expect(await readFile(path.join(result.upper, 'new'), 'utf8')).toBe('new\n');
    const whiteout = await lstat(path.join(result.upper, 'etc', 'old'));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
    expect((await lstat(path.join(result.upper, 'a', 'b'))).isDirectory()).toBe(true);
    // Only what the program changed: no mount points, no /etc files of the sandbox.
    expect((await readdir(result.upper)).sort()).toEqual(['a', 'etc', 'new']);
    expect(await readdir(path.join(result.upper, 'etc'))).toEqual(['old']);
    // The lowers are untouched.
    expect(await readFile(path.join(base, 'etc', 'old'), 'utf8')).toBe('old\n');
    expect((await readdir(base)).sort()).toEqual(['bin', 'etc']);
  });

  it('reads the user from the merged view (the top layer wins)', async () => {
    const result = await runOverlay('id', 'builder');
    expect(result.stdout).toBe('uid=1500(builder) gid=1500\n');
    expect(await readFile(path.join(base, 'etc', 'group'), 'utf8')).toBe(GROUP);
  });

  it('creates a missing working directory in the upper dir, owned by the user', async () => {
    const result = await runOverlay('pwd', 'dev', '/home/dev/src');
    expect(result.stdout).toBe('/home/dev/src\n');
    const info = await lstat(path.join(result.upper, 'home', 'dev', 'src'));
    expect([info.isDirectory(), info.uid, info.gid]).toEqual([true, 1000, 1000]);
  });
});
