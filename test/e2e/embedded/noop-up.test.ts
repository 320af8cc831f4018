/**
 * A no-op `up -d` on the embedded runtime starts no process: with the environment running, in sync
 * and its create hooks done, every check is a read (engine/up.ts, `unchanged`). Counted with strace,
 * which sees every execve of the devenv process and its descendants; an `exec` under the same count
 * is the control that proves the count sees children when there are some.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { cleanupSandboxes, devenv, noRegistry, sandbox, services } from './env.js';
import type { Sandbox } from './env.js';

afterAll(cleanupSandboxes);

const STRACE = '/usr/bin/strace';

/** The programs `devenv args` and its descendants executed, in order (the first is node itself). */
async function executed(
  box: Sandbox,
  args: readonly string[],
): Promise<{ programs: string[]; stdout: string }> {
  const log = path.join(box.dir, `strace-${Date.now()}.log`);
  const result = await execa(
    STRACE,
    [
      '-f',
      '-e',
      'trace=execve',
      '-o',
      log,
      process.execPath,
      CLI,
      '--runtime',
      'embedded',
      '--root',
      box.root,
      ...args,
    ],
    { cwd: box.dir, env: box.env, extendEnv: false, input: '', reject: false, timeout: 240_000 },
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

describe.skipIf(noRegistry)('a no-op up on the embedded runtime', () => {
  it('runs no process, where an exec beside it runs several', async () => {
    expect(existsSync(STRACE), `${STRACE} is needed to count processes (apt-get install strace)`).toBe(true);
    const box = sandbox();
    writeFileSync(
      path.join(box.dir, 'devenv.yml'),
      [
        `name: noop-up`,
        `base: ${services.busyboxImage}`,
        'network: none',
        'hooks: {create: ["true"]}',
        '',
      ].join('\n'),
    );
    const first = await devenv(box, ['up', '-d']);
    expect(first.exitCode, first.stderr).toBe(0);

    const noop = await executed(box, ['up', '-d', '--json']);
    expect((JSON.parse(noop.stdout) as { action: string }).action).toBe('running');
    expect(noop.programs).toEqual([process.execPath]);

    const control = await executed(box, ['exec', '--', 'true']);
    expect(control.programs[0]).toBe(process.execPath);
    expect(control.programs.some((program) => program.endsWith('/nsenter'))).toBe(true);
  });
});
