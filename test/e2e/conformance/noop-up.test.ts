/**
 * A no-op `up -d` starts no process: with the environment running, in sync and its create hooks
 * done, every check is a read (engine/up.ts, `unchanged`; on Docker, through the Engine API). Counted
 * with strace, which sees every execve of the devenv process and its descendants. A command that does
 * start a process on that runtime, under the same count, is the control that proves the count sees
 * children when there are some: `exec` enters an embedded container with nsenter, and `ls` lists
 * Docker's containers with the docker CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUser } from './runtimes.js';
import { envName, ok, projectOn } from './scenario.js';

const STRACE = '/usr/bin/strace';

/** The programs `devenv args` and its descendants executed, in order (the first is node itself). */
async function executed(user: RuntimeUser, dir: string, args: readonly string[]) {
  const log = path.join(os.tmpdir(), `devenv-strace-${process.pid}-${Date.now()}.log`);
  const result = await execa(
    STRACE,
    ['-f', '-e', 'trace=execve', '-o', log, process.execPath, CLI, ...user.globals, ...args],
    { cwd: dir, env: user.env, extendEnv: false, input: '', reject: false, timeout: 240_000 },
  );
  expect(result.exitCode, `devenv ${args.join(' ')}: ${result.stderr}`).toBe(0);
  // A successful call reads `PID execve("/path", [...], ...) = 0`; failed PATH lookups end in -1.
  const programs = readFileSync(log, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = /^\d+ +execve\("([^"]+)".* = 0$/.exec(line);
      return match?.[1] === undefined ? [] : [match[1]];
    });
  return { programs, stdout: result.stdout };
}

forEachRuntime('a no-op up', ['build', 'containers'], (runtime) => {
  it('runs no process, where a command beside it runs one', async () => {
    expect(existsSync(STRACE), `${STRACE} is needed to count processes (apt-get install strace)`).toBe(true);
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'noop-up'), ['hooks: {create: ["true"]}']);
    await ok(user, dir, ['up', '-d']);

    const noop = await executed(user, dir, ['up', '-d', '--json']);
    expect((JSON.parse(noop.stdout) as { action: string }).action).toBe('running');
    expect(noop.programs).toEqual([process.execPath]);

    const [control, program] =
      runtime.name === 'embedded' ? [['exec', '--', 'true'], '/nsenter'] : [['ls'], '/docker'];
    const controlled = await executed(user, dir, control);
    expect(controlled.programs[0]).toBe(process.execPath);
    expect(controlled.programs.some((p) => p.endsWith(program))).toBe(true);
    await ok(user, dir, ['rm', '-f']);
  });
});
