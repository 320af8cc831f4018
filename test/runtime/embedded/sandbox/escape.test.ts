/**
 * Escape attempts, one group per class of container breakout (the classes runc has had CVEs for):
 * each runs the attempt inside a sandbox on a busybox root and shows that it fails and that the
 * host is unchanged. Real namespaces and processes, as root.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { childScript } from '../../../helpers/child-script.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import {
  capture,
  hasBusybox,
  hostMountsUnder,
  makeBusyboxRoot,
  processesUsing,
  scratch,
} from './helpers/rootfs.js';

const TINI = '/usr/bin/tini-static';
const skip = skipUnless('sandbox escape tests (namespaces, mounts)', {
  root: isRoot,
  'busybox-static': hasBusybox,
  'tini (tini-static)': existsSync(TINI),
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The host binaries that run on the way into a sandbox. */
const HOST_BINARIES = [
  '/usr/bin/unshare',
  '/usr/bin/setpriv',
  '/usr/bin/nsenter',
  '/usr/bin/env',
  '/usr/bin/bash',
  TINI,
];

describe.skipIf(skip)('escapes', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let root: string;
  let victimDir: string;
  let victimFile: string;
  let n = 0;
  const hashes = new Map<string, string>();
  beforeAll(async () => {
    tmp = await scratch();
    for (const bin of HOST_BINARIES) if (existsSync(bin)) hashes.set(bin, sha(bin));
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
  afterEach(() => {
    // Whatever the attempt, the host is as it was.
    expect(readFileSync(victimFile, 'utf8')).toBe('victim\n');
    expect(hostMountsUnder(tmp.dir)).toEqual([]);
    expect(processesUsing(root)).toEqual([]);
    for (const [bin, hash] of hashes) expect(sha(bin), bin).toBe(hash);
  });

  const run = (script: string, extra: Partial<SandboxSpec> = {}) =>
    capture({
      rootfs: { kind: 'dir', dir: root },
      argv: ['/bin/sh', '-c', script],
      env: ['PATH=/bin'],
      cwd: '/',
      user: '',
      network: 'none',
      hostname: 'escape-test',
      scratchDir: path.join(tmp.dir, `scratch-${n}`),
      ...extra,
    });

  it('1. sees no host process: /proc lists the sandbox only, and a host pid cannot be signalled', async () => {
    for (const init of [false, true]) {
      const result = await run(`ls -d /proc/[0-9]*; kill -0 ${process.pid} && echo signalled`, { init });
      // With an init: tini and the shell (whose pid is whatever the setup's helpers left).
      expect(result.stdout).toMatch(init ? /^\/proc\/1\n\/proc\/[0-9]+\n$/ : /^\/proc\/1\n$/);
      expect(result.stderr).toMatch(/No such process/);
    }
  });

  it('2. writes nothing outside the root through /proc/1/root/.., /proc/self/cwd/.., / .. or an absolute link', async () => {
    const dir = path.dirname(victimFile);
    const up = '../../../../../../..';
    const result = await run(
      [
        `mkdir -p ${dir}`,
        `echo a > /proc/1/root/${up}${victimFile}`,
        `echo b >> /proc/self/cwd/${up}${victimFile}`,
        `echo c >> /${up}${victimFile}`,
        `cd /; cd ${up}; echo d >> .${victimFile}`,
        `ln -s ${victimFile} /link; echo e >> /link`,
        `ln -s ${dir} /dirlink; echo f >> /dirlink/${path.basename(victimFile)}`,
        'readlink /proc/1/root; readlink /proc/self/cwd',
      ].join('; '),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('/\n/\n');
    // Every write landed at the same path inside the root.
    expect(await readFile(path.join(root, victimFile), 'utf8')).toBe('a\nb\nc\nd\ne\nf\n');
  });

  it('3. /proc/sys and /sys are read-only, and kernel-leaking /proc files are masked', async () => {
    const result = await run(
      [
        'echo x > /proc/sys/kernel/domainname && echo wrote-proc-sys',
        'echo x > /sys/kernel/uevent_helper && echo wrote-sys',
        'touch /sys/x && echo wrote-sys-dir',
        'grep -E " /proc/(sys|irq|bus|fs) | /sys " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1',
        'for f in /proc/interrupts /proc/timer_list /proc/keys; do [ -e $f ] && echo "$f $(wc -c < $f)"; done',
        'ls -A /sys/firmware | wc -l',
      ].join('; '),
    );
    expect(result.stdout).not.toMatch(/wrote/);
    expect(result.stderr).toMatch(/Read-only file system/);
    const lines = result.stdout.trim().split('\n');
    for (const mount of ['/proc/sys ro', '/sys ro']) expect(lines).toContain(mount);
    for (const line of lines.filter((l) => l.startsWith('/proc/') && !l.endsWith(' ro')))
      expect(line).toMatch(/ 0$/);
    expect(lines.at(-1)).toBe('0');
    // A privileged sandbox sees them as they are.
    const privileged = await run('wc -c < /proc/interrupts; grep " /sys " /proc/mounts | cut -d" " -f4', {
      privileged: true,
    });
    expect(Number(privileged.stdout.split('\n')[0])).toBeGreaterThan(0);
    expect(privileged.stdout.split('\n')[1]).toMatch(/^rw,/);
    // A privileged sandbox binds every host device: slow on a busy machine.
  }, 300_000);

  it('4. has no CAP_SYS_ADMIN and cannot mount, unless privileged', async () => {
    const script =
      'grep -E "^Cap(Bnd|Eff)" /proc/self/status; mkdir -p /mnt/t; mount -t tmpfs none /mnt/t && echo mounted';
    const plain = await run(script);
    expect(plain.stdout).toBe('CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n');
    expect(plain.stderr).toMatch(/mount/);
    // Asking for it by name is the only way in besides privileged, and the test shows what it grants.
    const hostBounding = /^CapBnd:\t(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const privileged = await run(script, { privileged: true });
    expect(privileged.stdout).toBe(
      `CapEff:\t${hostBounding ?? '?'}\nCapBnd:\t${hostBounding ?? '?'}\nmounted\n`,
    );
    // A privileged sandbox binds every host device: slow on a busy machine.
  }, 300_000);

  it('5. mount targets that are links in the image land inside the root', async () => {
    await symlink(victimFile, path.join(root, 'etc', 'hosts'));
    await symlink(victimDir, path.join(root, 'proc'));
    const dataVictim = `${victimDir}-data`;
    await mkdir(dataVictim);
    await symlink(dataVictim, path.join(root, 'data'));
    // An image /dev with an init link: /dev is a fresh tmpfs, so the link is never seen or followed.
    await mkdir(path.join(root, 'dev'), { recursive: true });
    await symlink(victimFile, path.join(root, 'dev', 'init'));
    const source = path.join(tmp.dir, `source-${n}`);
    await mkdir(source);
    const result = await run(
      'cat /etc/hosts; ls /proc/1/cmdline; ls /data/mnt; cat /proc/1/cmdline | head -c 9',
      {
        hosts: 'sandbox hosts\n',
        binds: [{ source, target: '/data/mnt', readonly: false }],
        init: true,
      },
    );
    expect(result.stdout).toBe('sandbox hosts\n/proc/1/cmdline\n/dev/init');
    expect(await readdir(victimDir)).toEqual(['keep']);
    expect(await readdir(dataVictim)).toEqual([]);
    expect(await readdir(path.join(root, dataVictim))).toEqual(['mnt']);
  });

  it('6. cannot overwrite the host binaries that entered it, nor its init', async () => {
    const result = await run(
      [
        'echo x > /proc/1/exe && echo wrote-1',
        'echo x > /dev/init && echo wrote-init',
        'cp /bin/busybox /proc/1/exe && echo copied',
        'echo x >> /proc/self/exe && echo wrote-self',
        'grep " /dev/init " /proc/mounts | cut -d" " -f4 | cut -d, -f1-4',
      ].join('; '),
      { init: true },
    );
    expect(result.stdout).toMatch(/^ro,nosuid,nodev\b/);
    expect(result.stdout).not.toMatch(/wrote|copied/);
    expect(result.stderr).toMatch(/Read-only file system|Text file busy/);
    // Without an init, PID 1 is the image's own program: no host binary is left in the sandbox.
    const plain = await run(
      'readlink /proc/1/exe; ls -l /proc/*/exe | grep -v " -> /bin/busybox$" | grep -c .',
    );
    expect(plain.stdout).toBe('/bin/busybox\n0\n');
  });

  it('7. no descriptor of the caller leaks in, even ones without close-on-exec', async () => {
    const dirFd = openSync('/', 'r');
    const fileFd = openSync(victimFile, 'r');
    try {
      for (const extra of [{}, { init: true }, { tty: { rows: 24, cols: 80 } }] as Partial<SandboxSpec>[]) {
        const spec: Omit<SandboxSpec, 'output'> = {
          rootfs: { kind: 'dir', dir: root },
          argv: ['/bin/ls', '-1', '/proc/self/fd'],
          env: ['PATH=/bin'],
          cwd: '/',
          user: '',
          network: 'none',
          hostname: 'escape-test',
          scratchDir: path.join(tmp.dir, `scratch-fd-${n}`),
          ...extra,
        };
        // The child inherits fds 3 and 4 without close-on-exec, as a caller's leaked descriptors would be.
        const child = spawn(
          process.execPath,
          [childScript(new URL('./helpers/sandbox-child.ts', import.meta.url)), JSON.stringify(spec)],
          { stdio: ['pipe', 'pipe', 'pipe', dirFd, fileFd] },
        );
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        let err = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          err += chunk.toString();
        });
        const code = await new Promise((resolve) => child.once('close', resolve));
        expect(code, err).toBe(0);
        const listed = out
          .replace(/\r/g, '')
          .split('\n')
          .filter((line) => /^[0-9]+$/.test(line));
        // 0 1 2 and ls's own directory descriptor.
        expect(listed, JSON.stringify(extra)).toEqual(['0', '1', '2', '3']);
      }
    } finally {
      closeSync(dirFd);
      closeSync(fileFd);
    }
    await rm(path.join(tmp.dir, `scratch-fd-${n}`), { recursive: true, force: true });
  });
});
