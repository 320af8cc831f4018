/**
 * A no-op `up -d` starts no process: with the environment running, in sync and its create hooks
 * done, every check is a read (engine/up.ts, `unchanged`; on Docker, through the Engine API). Counted
 * with strace, which sees every execve of the devenv process and its descendants. A command that does
 * start a process on that runtime, under the same count, is the control that proves the count sees
 * children when there are some: `exec` enters an embedded container with nsenter, and `ls` lists
 * Docker's containers with the docker CLI. Nor does the no-op load Node's crypto or fs/promises
 * (~8 and ~6 ms of its start): its reads need neither.
 */
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { packagesOf, tracedDevenv } from '../../helpers/loaded-modules.js';
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
    // The plan cache trusts no stat younger than 2 s: files this new would make every run a miss.
    const past = new Date(Date.now() - 60_000);
    for (const p of ['devenv.yml', '.']) utimesSync(path.join(dir, p), past, past);
    await ok(user, dir, ['up', '-d']);

    const noop = await executed(user, dir, ['up', '-d', '--json']);
    expect((JSON.parse(noop.stdout) as { action: string }).action).toBe('running');
    expect(noop.programs).toEqual([process.execPath]);

    const trace = () =>
      tracedDevenv([...user.globals, 'up', '-d', '--json'], {
        cwd: dir,
        env: user.env,
        compiled: true,
        stdinFile: '/dev/null',
        timeout: 240_000,
      });
    // The tracer's environment holds variables of its own, which key the plan cache: its first run
    // stores the plan, and the second is the warm no-op.
    const first = await trace();
    expect(first.exitCode, first.stderr).toBe(0);
    const traced = await trace();
    expect(traced.exitCode, traced.stderr).toBe(0);
    expect(packagesOf(traced.modules)).not.toContain('yaml');
    expect((JSON.parse(traced.stdout) as { action: string }).action).toBe('running');
    // The launcher's vm module shows that Node's module list was read at all.
    expect(traced.builtins).toContain('vm');
    const required = `required: ${traced.modules.join(' ')}`;
    expect(traced.builtins, required).not.toContain('crypto');
    expect(traced.builtins, required).not.toContain('fs/promises');

    const [control, program] =
      runtime.name === 'embedded' ? [['exec', '--', 'true'], '/nsenter'] : [['ls'], '/docker'];
    const controlled = await executed(user, dir, control);
    expect(controlled.programs[0]).toBe(process.execPath);
    expect(controlled.programs.some((p) => p.endsWith(program))).toBe(true);
    await ok(user, dir, ['rm', '-f']);
  });
});
