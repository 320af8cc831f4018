import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { execArgv, execLaunch, withPty } from '../../../../src/runtime/embedded/containers/exec-command.js';
import { processStart, isAlive } from '../../../../src/runtime/embedded/containers/liveness.js';
import { DOCKER_CAPABILITIES } from '../../../../src/runtime/embedded/sandbox/index.js';

const tools = {
  unshare: '/usr/bin/unshare',
  nsenter: '/usr/bin/nsenter',
  setpriv: '/usr/bin/setpriv',
  env: '/usr/bin/env',
  bash: '/bin/bash',
};

describe('execArgv', () => {
  it('sets the environment on the host, enters with the toolbox as root, and drops before the image runs', () => {
    const argv = execArgv(
      { pid: 4242, ownNetwork: true, capabilities: DOCKER_CAPABILITIES, privileged: false, tools },
      { uid: 1000, gid: 1000, groups: [27] },
      '/src',
      ['A=1', 'PATH=/usr/bin'],
      ['sh', '-c', 'id'],
    );
    // The command's environment comes last, from the toolbox's env (execLaunch empties the tools').
    expect(argv[0]).toBe('/usr/bin/nsenter');
    expect(argv).toContain('--net');
    expect(argv).toContain('--root=/proc/4242/root/dev/.devenv');
    expect(argv).toContain('--wd=/proc/4242/root');
    const inside = argv.slice(argv.indexOf('--') + 1);
    // Only toolbox paths run before the root change; the uid switch comes last.
    expect(inside.slice(0, 4)).toEqual(['/ld.so', '--inhibit-cache', '--library-path', '/']);
    expect(inside).toContain('--groups=27');
    expect(inside).toContain('--root=.');
    expect(inside).toContain('--wd=/src');
    expect(inside).toContain('--setuid=1000');
    expect(inside.slice(-12)).toEqual([
      '/dev/.devenv/ld.so',
      '--inhibit-cache',
      '--library-path',
      '/dev/.devenv',
      '/dev/.devenv/env',
      '-i',
      '--',
      'A=1',
      'PATH=/usr/bin',
      'sh',
      '-c',
      'id',
    ]);
    expect(inside.indexOf('/dev/.devenv/env')).toBeGreaterThan(inside.indexOf('--root=.'));
    expect(inside.join(' ')).not.toContain('sys_admin');
  });

  it('joins the host network when the container has no network namespace of its own; root keeps uid 0', () => {
    const argv = execArgv(
      { pid: 1, ownNetwork: false, capabilities: DOCKER_CAPABILITIES, privileged: false, tools },
      { uid: 0, gid: 0, groups: [] },
      '/',
      [],
      ['true'],
    );
    expect(argv).not.toContain('--net');
    expect(argv).toContain('--clear-groups');
    expect(argv.some((arg) => arg.startsWith('--setuid'))).toBe(false);
  });

  it('refuses an empty command', () => {
    expect(() =>
      execArgv(
        { pid: 1, ownNetwork: false, capabilities: DOCKER_CAPABILITIES, privileged: false, tools },
        { uid: 0, gid: 0, groups: [] },
        '/',
        [],
        [],
      ),
    ).toThrow(/needs a command/);
  });
});

describe('execLaunch', () => {
  /** What `env` prints when started as execLaunch says, with this process's environment set around it. */
  function printedEnvironment(tty: boolean): string[] {
    const launch = execLaunch(['/usr/bin/env'], tools, tty);
    const result = spawnSync(launch.argv[0] as string, launch.argv.slice(1), {
      encoding: 'utf8',
      env: launch.env,
    });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.split(/\r?\n/).filter((line) => line !== '');
  }

  it('starts the host tools with an empty environment, with a terminal and without', () => {
    process.env['DEVENV_TEST_CALLER_SECRET'] = 'from the caller';
    try {
      expect(printedEnvironment(false)).toEqual([]);
      expect(printedEnvironment(true)).toEqual([]);
    } finally {
      delete process.env['DEVENV_TEST_CALLER_SECRET'];
    }
  });

  it('without a terminal starts the command line itself; with one, under script and env -i', () => {
    const argv = ['/usr/bin/nsenter', '--target=1', '--', 'true'];
    expect(execLaunch(argv, tools, false)).toEqual({ argv, env: {} });
    const pty = execLaunch(argv, tools, true);
    expect(pty.argv[0]).toBe('script');
    expect(pty.argv.join(' ')).toContain(`exec '/usr/bin/env' '-i' '/usr/bin/nsenter'`);
  });
});

describe('withPty', () => {
  it('quotes every argument for the shell script runs, and passes the exit status through', () => {
    const argv = withPty(['sh', '-c', "printf '%s' \"it's\"; exit 3"]);
    const result = spawnSync(argv[0] as string, argv.slice(1), {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', SHELL: '/bin/sh' },
    });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain("it's");
  });
});

describe('liveness', () => {
  it('knows this process by its start time, and a wrong start time means another process', () => {
    const start = processStart(process.pid);
    expect(start).toMatch(/^[0-9]+$/);
    expect(isAlive(process.pid, start)).toBe(true);
    expect(isAlive(process.pid, `${start ?? ''}1`)).toBe(false);
    expect(isAlive(undefined, start)).toBe(false);
    expect(processStart(2 ** 22 + 1)).toBeUndefined();
  });
});
