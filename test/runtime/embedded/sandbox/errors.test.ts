/**
 * The sandbox's own failures: a setup step the kernel refuses is named with the tool's output, a
 * runner that cannot start says why, an overlay that does not mount says so, and values from the
 * user's config are checked before anything starts.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { runInSandbox, sandboxSupport } from '../../../../src/runtime/embedded/sandbox/index.js';
import { runChain } from '../../../../src/runtime/embedded/sandbox/runner.js';
import { SETUP_SCRIPT } from '../../../../src/runtime/embedded/sandbox/setup-script.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import { capture, hasBusybox, hostMountsUnder, useBusyboxRoot } from './helpers/rootfs.js';

const skip = skipUnless('sandbox error tests (namespaces, mounts)', {
  root: isRoot,
  'busybox-static': hasBusybox,
});

describe.skipIf(skip)('sandbox errors', () => {
  const fixture = useBusyboxRoot();

  const base = (): Omit<SandboxSpec, 'output'> => ({
    rootfs: { kind: 'dir', dir: fixture.root },
    argv: ['/bin/true'],
    env: ['PATH=/bin'],
    cwd: '/',
    user: '',
    network: 'host',
    hostname: 'errors-test',
    scratchDir: path.join(fixture.dir, 'scratch'),
  });
  const quiet = { stdout: () => undefined, stderr: () => undefined };
  const hooks = { onInit: () => Promise.resolve(), onReady: () => undefined };

  /** The real setup script running `steps` (six words each) and then `true`, in a mount namespace of its own. */
  const script = (steps: string[]) => [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'bash',
    '-c',
    SETUP_SCRIPT,
    'sh',
    path.join(fixture.dir, 'setup-output'),
    path.join(fixture.dir, 'setup-fstab'),
    ...steps,
    '--',
    'true',
  ];

  it('names a refused setup step and carries the tool output', async () => {
    // One step the kernel refuses: an unknown filesystem type.
    const argv = script(['mount', 'mounting /nowhere', 'nofs', 'ro', 'none', '/nowhere']);
    await expect(runChain(argv, { ...base(), output: quiet }, false, hooks)).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringMatching(
        /^sandbox setup failed while mounting \/nowhere: mount: .*nowhere/,
      ) as unknown,
    });
  });

  it('names the refused mount of a run of mounts (one mount -a), not the first of them', async () => {
    const dirs = ['a', 'b c', 'd'].map((name) => path.join(fixture.dir, 'runs', name));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    const [a, b, d] = dirs as [string, string, string];
    const argv = script([
      ...['mount', 'mounting a', 'tmpfs', 'size=64k', 'tmpfs', a],
      ...['bind', 'binding a missing folder at "b c"', '-', 'ro', path.join(fixture.dir, 'missing'), b],
      ...['mount', 'mounting d', 'tmpfs', 'size=64k', 'tmpfs', d],
    ]);
    await expect(runChain(argv, { ...base(), output: quiet }, false, hooks)).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringMatching(
        /^sandbox setup failed while binding a missing folder at "b c": mount: .*b c/,
      ) as unknown,
    });
  });

  it('fails a run of mounts in which mount -a passed over one it took for mounted already', async () => {
    const dir = path.join(fixture.dir, 'twice');
    await mkdir(dir, { recursive: true });
    // The same bind again, as mount -a sees it: it says nothing and mounts nothing.
    const argv = script([
      ...['rootbind', 'binding the folder onto itself', '-', '-', dir, dir],
      ...['bind', 'binding it again', '-', '-', dir, dir],
    ]);
    await expect(runChain(argv, { ...base(), output: quiet }, false, hooks)).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringMatching(
        /^sandbox setup failed while binding it again: mount -a made 0 of 1 mounts/,
      ) as unknown,
    });
  });

  it("counts only its own mounts: the host's removal of a folder mounted on in its copy does not fail it", async () => {
    // The namespace copies the host's mounts. When the host unmounts one and removes its folder,
    // the kernel drops the copy too, at any moment: here, all through a run of 40 mounts.
    const host = Array.from({ length: 120 }, (_, i) => path.join(fixture.dir, 'host', `d${i}`));
    const root = path.join(fixture.dir, 'own');
    const targets = Array.from({ length: 40 }, (_, i) => path.join(root, `t${i}`));
    for (const dir of [...host, ...targets]) await mkdir(dir, { recursive: true });
    await execa('sh', ['-c', 'for d; do mount -t tmpfs -o size=4k host "$d" || exit; done', 'sh', ...host]);
    let removing: ReturnType<typeof execa> | undefined;
    try {
      const argv = script([
        ...['rootbind', 'binding the root onto itself', '-', '-', root, root],
        ...targets.flatMap((t) => ['mount', `mounting ${path.basename(t)}`, 'tmpfs', 'size=4k', 'tmpfs', t]),
      ]);
      const onInit = async () => {
        await execa('umount', host);
        // Each folder goes on its own, a few ms apart, until well after the run of mounts.
        removing = execa('sh', ['-c', 'for d; do rmdir "$d" || exit; sleep 0.01; done', 'sh', ...host]);
        while (existsSync(host[0]!)) await new Promise((resolve) => setTimeout(resolve, 2));
      };
      await expect(
        runChain(argv, { ...base(), output: quiet }, false, { ...hooks, onInit }),
      ).resolves.toMatchObject({ exitCode: 0 });
      await removing;
      expect(existsSync(host.at(-1)!)).toBe(false);
    } finally {
      await removing?.catch(() => undefined);
      await execa('umount', host, { reject: false });
    }
  });

  it('names a refused step the shell does itself, with its message', async () => {
    // Creating a mount point is the shell's own redirection, not a tool: its error is carried too.
    const argv = script([
      'file',
      'creating /dev/x',
      '-',
      '-',
      '-',
      path.join(fixture.dir, 'no-such-dir', 'x'),
    ]);
    await expect(runChain(argv, { ...base(), output: quiet }, false, hooks)).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringMatching(
        /^sandbox setup failed while creating \/dev\/x: .*no-such-dir\/x: No such file or directory/,
      ) as unknown,
    });
  });

  it("says why the runner did not start, with the tool's own message", async () => {
    await expect(
      runChain(['unshare', '--no-such-option'], { ...base(), output: quiet }, false, hooks),
    ).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringMatching(
        /^the sandbox did not start \(exit 1\): unshare: unrecognized option/,
      ) as unknown,
    });
  });

  it('says when the overlay root does not mount', async () => {
    const upper = path.join(fixture.dir, 'upper');
    const work = path.join(fixture.dir, 'work');
    await mkdir(upper);
    await mkdir(work);
    const spec = {
      ...base(),
      rootfs: { kind: 'overlay' as const, lowers: [path.join(fixture.dir, 'missing')], upper, work },
    };
    await expect(capture(spec)).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: expect.stringContaining('sandbox setup failed while mounting the root filesystem') as unknown,
    });
    expect(hostMountsUnder(fixture.dir)).toEqual([]);
  });

  it.each([
    [{ argv: [] }, 'the command to run is empty'],
    [{ env: ['PATH'] }, 'environment entry "PATH" is not NAME=value'],
    [{ env: ['=x'] }, 'environment entry "=x" is not NAME=value'],
    [{ cwd: 'work' }, 'the working directory "work" is not absolute'],
    [{ hostname: 'bad host' }, 'the hostname "bad host" is not valid'],
    [{ argv: ['/bin/echo', 'a\0b'] }, 'contains a NUL byte'],
    [
      { binds: [{ source: '/no/such/dir', target: '/x', readonly: true }] },
      'the mount source /no/such/dir does not exist',
    ],
  ] as [Partial<SandboxSpec>, string][])('rejects %j before starting anything', async (change, message) => {
    await expect(runInSandbox({ ...base(), ...change, output: quiet })).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
      message: expect.stringContaining(message) as unknown,
    });
  });

  it('reports this machine as able to run sandboxes', async () => {
    expect(await sandboxSupport()).toEqual({ ok: true });
  });
});
