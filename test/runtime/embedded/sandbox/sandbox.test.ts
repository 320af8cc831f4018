/**
 * The sandbox on a plain busybox root, as root: identity, capabilities, the filesystems and files
 * inside, environment, working directory, network none and exit statuses. Real namespaces and real
 * processes; each run takes about a second.
 */
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import { capture, hasBusybox, processesRunning, useBusyboxRoot } from './helpers/rootfs.js';

const skip = skipUnless('sandbox tests (namespaces, mounts)', { root: isRoot, 'busybox-static': hasBusybox });

describe.skipIf(skip)('runInSandbox on a plain root', () => {
  const fixture = useBusyboxRoot();
  let runs = 0;

  const run = (argv: string[], extra: Partial<SandboxSpec> = {}) =>
    capture({
      rootfs: { kind: 'dir', dir: fixture.root },
      argv,
      env: ['PATH=/bin', 'HOME=/root'],
      cwd: '/',
      user: '',
      network: 'host',
      hostname: 'sandbox-test',
      scratchDir: path.join(fixture.dir, `scratch-${++runs}`),
      ...extra,
    });
  const sh = (script: string, extra: Partial<SandboxSpec> = {}) => run(['/bin/sh', '-c', script], extra);

  it.each([
    // busybox id prints groups= only when there are supplementary groups.
    ['', 'uid=0(root) gid=0(root)', 'Groups:\t'],
    ['dev', 'uid=1000(dev) gid=1000(dev) groups=50(staff)', 'Groups:\t50 '],
    ['1000', 'uid=1000(dev) gid=1000(dev) groups=50(staff)', 'Groups:\t50 '],
    ['1000:1000', 'uid=1000(dev) gid=1000(dev)', 'Groups:\t'],
    ['dev:staff', 'uid=1000(dev) gid=50(staff)', 'Groups:\t'],
    ['2000:3000', 'uid=2000 gid=3000', 'Groups:\t'],
  ])('user %j runs as %s', async (user, id, groups) => {
    const result = await sh('id; grep -E "^(Uid|Gid|Groups):" /proc/self/status', { user });
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(id);
    // Real, effective, saved and filesystem ids all changed: nothing can switch back.
    const [uid, gid] = id.match(/[0-9]+/g) ?? [];
    expect(lines[1]).toBe(`Uid:\t${uid}\t${uid}\t${uid}\t${uid}`);
    expect(lines[2]).toBe(`Gid:\t${gid}\t${gid}\t${gid}\t${gid}`);
    expect(`${lines[3]}`.trimEnd()).toBe(groups.trimEnd());
  });

  it('names an unknown user and the passwd file it was looked up in', async () => {
    await expect(sh('id', { user: 'nobody' })).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
      message: expect.stringContaining('user "nobody" is not in the image\'s /etc/passwd') as unknown,
    });
    await expect(sh('id', { user: 'dev:wheel' })).rejects.toMatchObject({
      message: expect.stringContaining('group "wheel"') as unknown,
    });
  });

  it("gives root Docker's bounding set and a non-root user no capabilities", async () => {
    const caps = (text: string) =>
      Object.fromEntries(
        text
          .trim()
          .split('\n')
          .map((line) => line.split(':\t') as [string, string]),
      );
    const rootCaps = caps((await sh('grep ^Cap /proc/self/status')).stdout);
    expect(rootCaps).toEqual({
      CapInh: '0000000000000000',
      CapPrm: '00000000a80425fb',
      CapEff: '00000000a80425fb',
      CapBnd: '00000000a80425fb',
      CapAmb: '0000000000000000',
    });
    const devCaps = caps((await sh('grep ^Cap /proc/self/status', { user: 'dev' })).stdout);
    expect(devCaps).toMatchObject({
      CapPrm: '0000000000000000',
      CapEff: '0000000000000000',
      CapBnd: '00000000a80425fb',
    });
    const fewer = caps(
      (await sh('grep ^Cap /proc/self/status', { capabilities: ['SYS_CHROOT', 'cap_chown'] })).stdout,
    );
    expect(fewer['CapBnd']).toBe('0000000000040001');
    await expect(sh('true', { capabilities: ['CHOWN'] })).rejects.toMatchObject({
      code: 'DEVENV_UNSUPPORTED',
    });
    await expect(sh('true', { capabilities: ['SYS_CHROOT', 'FLY'] })).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
    });
  });

  it('runs the program itself as PID 1, with only stdin, stdout and stderr open', async () => {
    const result = await run(['/bin/ls', '/proc/self/fd', '/proc/1/cmdline']);
    expect(result.stdout.split('\n').slice(0, -1)).toEqual([
      '/proc/1/cmdline',
      '',
      '/proc/self/fd:',
      '0',
      '1',
      '2',
      '3',
    ]);
    const cmdline = await run(['/bin/cat', '/proc/1/cmdline']);
    expect(cmdline.stdout).toBe('/bin/cat\0/proc/1/cmdline\0');
  });

  it("sets the hostname, and binds /etc/hosts, resolv.conf and hostname without touching the image's", async () => {
    const result = await sh('hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf', {
      hosts: '10.1.2.3 box\n',
      resolvConf: 'nameserver 127.0.0.9\n',
    });
    expect(result.stdout).toBe('sandbox-test\nsandbox-test\n10.1.2.3 box\nnameserver 127.0.0.9\n');
    const defaults = await sh('cat /etc/hosts; echo ---; cat /etc/resolv.conf');
    const [hosts, resolv] = defaults.stdout.split('---\n');
    expect(hosts).toBe(await readFile('/etc/hosts', 'utf8'));
    expect(resolv).toBe(await readFile('/etc/resolv.conf', 'utf8'));
    const none = await sh('cat /etc/hosts', { network: 'none' });
    expect(none.stdout).toMatch(/^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
    // The files in the root are only mount points: empty, created once.
    expect((await lstat(path.join(fixture.root, 'etc', 'hosts'))).size).toBe(0);
    expect((await lstat(path.join(fixture.root, 'etc', 'resolv.conf'))).size).toBe(0);
  });

  it('provides /dev, /dev/pts, /dev/shm, /dev/mqueue, a fresh /proc and a read-only /sys', async () => {
    const result = await sh('ls /dev; echo ---; ls -l /dev/null /dev/ptmx /dev/fd; mount; echo x > /sys/x');
    const [list = '', rest = ''] = result.stdout.split('---\n');
    expect(list.trim().split('\n').sort()).toEqual(
      [
        'fd',
        'full',
        'mqueue',
        'null',
        'ptmx',
        'pts',
        'random',
        'shm',
        'stderr',
        'stdin',
        'stdout',
        'tty',
        'urandom',
        'zero',
      ].sort(),
    );
    expect(rest).toMatch(/^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .* \/dev\/null$/m);
    expect(result.stdout).toMatch(/\/dev\/ptmx -> pts\/ptmx$/m);
    expect(result.stdout).toMatch(/\/dev\/fd -> \/proc\/self\/fd$/m);
    expect(result.stdout).toMatch(/^proc on \/proc type proc \(rw,nosuid,nodev,noexec,/m);
    expect(result.stdout).toMatch(/^sysfs on \/sys type sysfs \(ro,nosuid,nodev,noexec,/m);
    expect(result.stdout).toMatch(/^devpts on \/dev\/pts type devpts \(rw,nosuid,noexec,.*ptmxmode=666/m);
    expect(result.stdout).toMatch(/^shm on \/dev\/shm type tmpfs \(rw,nosuid,nodev,noexec,/m);
    expect(result.stdout).toMatch(/^mqueue on \/dev\/mqueue type mqueue \(rw,nosuid,nodev,noexec/m);
    expect((await sh('ls -ld /dev/shm')).stdout).toMatch(/^drwxrwxrwt /);
    expect(result.stderr).toMatch(/Read-only file system/);
    // The fresh /proc shows this PID namespace only.
    expect((await sh('ls -d /proc/[0-9]*')).stdout).toBe('/proc/1\n');
  });

  it('network none has only a loopback interface, which is up', async () => {
    const result = await sh('ls /sys/class/net; ip -o addr', { network: 'none' });
    expect(result.stdout.split('\n')[0]).toBe('lo');
    expect(result.stdout).toMatch(/inet 127\.0\.0\.1\/8/);
    expect(result.stdout).not.toMatch(/^[0-9]+: (?!lo)/m);
  });

  it('creates a missing working directory owned by the user, and passes the environment as given', async () => {
    const result = await sh('pwd; env', {
      cwd: '/home/dev/project',
      user: 'dev',
      env: ['PATH=/bin', 'A=1=2', 'B='],
    });
    expect(result.stdout.split('\n')[0]).toBe('/home/dev/project');
    expect(
      result.stdout
        .split('\n')
        .slice(1)
        .filter((line) => line !== '' && !/^(PWD|SHLVL)=/.test(line))
        .sort(),
    ).toEqual(['A=1=2', 'B=', 'HOSTNAME=sandbox-test', 'PATH=/bin']);
    for (const dir of ['home', 'home/dev', 'home/dev/project']) {
      const info = await lstat(path.join(fixture.root, dir));
      expect([info.uid, info.gid, info.mode & 0o7777]).toEqual([1000, 1000, 0o755]);
    }
    const own = await sh('echo $HOSTNAME', { env: ['PATH=/bin', 'HOSTNAME=mine'] });
    expect(own.stdout).toBe('mine\n');
  });

  it('passes the exit status through; a signal death is 128+n', async () => {
    expect(await sh('echo out; echo err >&2; exit 3')).toMatchObject({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    // PID 1 ignores a SIGKILL sent from inside its namespace (as in Docker's RUN), a child shell does not.
    expect((await sh('sh -c "kill -9 \\$\\$"; exit $?')).exitCode).toBe(137);
    expect((await run(['/bin/no-such-program'])).exitCode).toBe(127);
  });

  it('reports a signal death of PID 1 from outside as 128+n with the signal', async () => {
    const marker = String(20_000 + Math.floor(Math.random() * 10_000));
    const running = run(['/bin/sleep', marker]);
    let pids: number[] = [];
    for (let i = 0; i < 300 && pids.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pids = processesRunning(['/bin/sleep', marker]);
    }
    expect(pids).toHaveLength(1);
    process.kill(pids[0] as number, 'SIGKILL');
    expect(await running).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('binds host paths in, read-only when asked', async () => {
    const data = path.join(fixture.dir, 'data');
    await mkdir(data);
    await writeFile(path.join(data, 'in'), 'from host\n');
    const note = path.join(fixture.dir, 'note');
    await writeFile(note, '');
    const result = await sh(
      'cat /mnt/data/in; echo x > /mnt/data/new; echo y > /note; grep -E " /(mnt/data|note) " /proc/mounts',
      {
        binds: [
          { source: data, target: '/mnt/data', readonly: true },
          { source: note, target: '/note', readonly: false },
        ],
      },
    );
    expect(result.stdout).toMatch(/^from host\n/);
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(result.stdout).toMatch(/ \/mnt\/data \S+ ro,nosuid,nodev/);
    expect(await readFile(note, 'utf8')).toBe('y\n');
    expect(await readdir(data)).toEqual(['in']);
  });

  it('pipes stdin in', async () => {
    const { Readable } = await import('node:stream');
    const result = await run(['/bin/cat'], {
      stdin: Readable.from([Buffer.from('hello\n'), Buffer.from('world\n')]),
    });
    expect(result.stdout).toBe('hello\nworld\n');
  });
});
