/**
 * The classic chroot escape: root in the sandbox holds SYS_CHROOT (as on Docker), so it can chroot
 * into a subfolder, climb `..` from a working directory left outside it, and chroot there. The
 * sandbox's root is moved over its mount namespace's `/` before the program runs, so the climb ends
 * in the sandbox's own root, never in the host's tree. The attempt runs in the host's python3 (bound
 * read-only into a root that holds a marker file); busybox's chroot always changes directory first.
 */
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import { capture, scratch } from './helpers/rootfs.js';

const PYTHON = '/usr/bin/python3';
const skip = skipUnless('the chroot escape test (namespaces, mounts, python3)', {
  root: isRoot,
  python3: existsSync(PYTHON),
  'a merged /usr': existsSync('/usr/lib') && !existsSync('/lib/.not-merged'),
});

const ESCAPE = `
import os
os.makedirs('/tmp/jail', exist_ok=True)
os.chroot('/tmp/jail')
for _ in range(64):
    os.chdir('..')
os.chroot('.')
print('\\n'.join(sorted(os.listdir('/'))))
`;

describe.skipIf(skip)('chroot escape', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('climbing out of a nested chroot lands in the sandbox root, not the host', async () => {
    const root = path.join(tmp.dir, 'root');
    for (const dir of ['usr', 'tmp', 'etc']) await mkdir(path.join(root, dir), { recursive: true });
    for (const link of ['bin', 'lib', 'lib64', 'sbin']) await symlink(`usr/${link}`, path.join(root, link));
    await writeFile(path.join(root, 'marker-inside'), 'inside\n');
    await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    const result = await capture({
      rootfs: { kind: 'dir', dir: root },
      argv: [PYTHON, '-c', ESCAPE],
      env: ['PATH=/usr/bin:/bin'],
      cwd: '/',
      user: '',
      network: 'none',
      hostname: 'escape-test',
      binds: [{ source: '/usr', target: '/usr', readonly: true }],
      scratchDir: path.join(tmp.dir, 'scratch'),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const names = result.stdout.trim().split('\n');
    expect(names).toContain('marker-inside');
    // The host's own top-level folders are not there.
    expect(names).not.toContain('home');
    expect(names).not.toContain('boot');
  });
});
