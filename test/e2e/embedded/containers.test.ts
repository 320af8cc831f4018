/**
 * What only the embedded runtime's containers have, beyond the conformance scenarios both runtimes
 * share: the monitor (its death stops the container, which `status` sees at once and `up` brings
 * back with its files), and exec, which enters the container without running any of the image's
 * code with privileges (docs/embedded-runtime.md#exec).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, devenv, noRegistry, sandbox, services } from './env.js';
import type { Sandbox } from './env.js';

afterAll(cleanupSandboxes);

function project(box: Sandbox, name: string, lines: readonly string[] = []): void {
  writeFileSync(
    path.join(box.dir, 'devenv.yml'),
    [`name: ${name}`, `base: ${services.busyboxImage}`, 'network: none', ...lines, ''].join('\n'),
  );
}

async function ok(box: Sandbox, args: readonly string[]): Promise<string> {
  const run = await devenv(box, args);
  expect(run.exitCode, `devenv ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** The one container's state file in `box`'s store. */
function stateOf(box: Sandbox): { pid?: number; monitorPid?: number; status: string } {
  const dir = path.join(box.root, 'containers');
  const id = readdirSync(dir).find((entry) => /^[a-f0-9]{64}$/.test(entry));
  if (id === undefined) throw new Error(`no container in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, id, 'state.json'), 'utf8')) as {
    pid?: number;
    monitorPid?: number;
    status: string;
  };
}

async function status(box: Sandbox): Promise<string> {
  return (JSON.parse(await ok(box, ['status', '--json'])) as { state: string }).state;
}

describe.skipIf(noRegistry)('embedded containers', () => {
  it('kill -9 of the monitor: status says exited on its next call, up brings it back with its files', async () => {
    const box = sandbox();
    project(box, 'monitor-kill');
    await ok(box, ['up', '-d']);
    await ok(box, ['exec', '--', 'sh', '-c', 'echo kept > /root/notes']);
    const { monitorPid, pid } = stateOf(box);
    expect(monitorPid).toBeGreaterThan(0);
    process.kill(monitorPid as number, 'SIGKILL');
    expect(await status(box)).toBe('exited');
    // The holder takes the container's processes with it.
    await expect
      .poll(
        () => {
          try {
            process.kill(pid as number, 0);
            return 'alive';
          } catch {
            return 'gone';
          }
        },
        { timeout: 30_000 },
      )
      .toBe('gone');
    const again = await devenv(box, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('monitor-kill is up (started)');
    expect((await ok(box, ['exec', '--', 'cat', '/root/notes'])).trim()).toBe('kept');
    await ok(box, ['rm', '-f']);
  });

  it('exec: no loader variable or ld.so.preload of the image reaches a privileged tool', async () => {
    const box = sandbox();
    project(box, 'exec-loader', [
      'env: {LD_PRELOAD: /evil-from-env.so}',
      'steps: [{run: "echo /evil-from-file.so > /etc/ld.so.preload"}]',
    ]);
    await ok(box, ['up', '-d']);
    const run = await devenv(box, ['exec', '--', 'sh', '-c', 'echo "$LD_PRELOAD"']);
    expect(run.exitCode, run.stderr).toBe(0);
    // The command gets the variable, as on Docker.
    expect(run.stdout.trim()).toBe('/evil-from-env.so');
    // The tools before the root change stand in the read-only toolbox with an empty environment;
    // only the toolbox's env, already the container's user in its root, reads the image's file.
    expect(run.stderr).not.toContain('from LD_PRELOAD');
    expect(
      run.stderr.split('\n').filter((line) => line.includes('/etc/ld.so.preload')).length,
    ).toBeLessThanOrEqual(1);
    await ok(box, ['rm', '-f']);
  });

  it('exec sees only the container: its own PID namespace and root, no descriptor of devenv', async () => {
    const box = sandbox();
    project(box, 'exec-view');
    await ok(box, ['up', '-d']);
    const out = await ok(box, [
      'exec',
      '--',
      'sh',
      '-c',
      'ls /proc | grep -c "^[0-9]"; readlink /proc/self/root; ls /proc/self/fd | tr "\\n" " "; echo; cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    const [count, root, fds, init] = out.split('\n');
    // PID 1 (the shell), the exec's sh and its children: a handful, never the host's hundreds.
    expect(Number(count)).toBeLessThan(10);
    expect(root).toBe('/');
    // ls itself has its directory open as the fourth descriptor.
    expect(
      fds
        ?.trim()
        .split(' ')
        .filter((fd) => Number(fd) > 3),
    ).toEqual([]);
    // PID 1 is the init devenv binds read-only from the host (the environment has init on).
    expect(init?.trim()).toMatch(/^\/dev\/init -s -g -- /);
    await ok(box, ['rm', '-f']);
  });
});
