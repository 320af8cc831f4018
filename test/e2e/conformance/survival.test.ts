/**
 * kill -9 of the CLI never stops an environment: not during `up -d` once the container exists (it
 * is then running a create hook), not during an `exec` of a long command, not while attached in a
 * terminal. Each time `status` still says running and exec still works.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUser } from './runtimes.js';
import { closeTerminals, envName, ok, projectOn, PROMPT, statusOf, terminal } from './scenario.js';

afterAll(closeTerminals);

/**
 * Starts `devenv ARGS` as `user` in the background and returns the process. Its output goes
 * nowhere: what it starts (a hook, an exec) outlives the kill and would hold a pipe open.
 */
function background(user: RuntimeUser, dir: string, args: readonly string[]) {
  return execa(process.execPath, [CLI, ...user.globals, ...args], {
    cwd: dir,
    env: { NO_COLOR: '1', ...user.env },
    extendEnv: false,
    reject: false,
    stdio: 'ignore',
    timeout: 300_000,
  });
}

/** True once `path` exists inside the running environment. */
async function existsInside(user: RuntimeUser, dir: string, file: string): Promise<boolean> {
  return (await user.run(dir, ['exec', '--', 'test', '-e', file])).exitCode === 0;
}

/** After the kill: running, and exec works. */
async function stillRunning(user: RuntimeUser, dir: string): Promise<void> {
  expect((await statusOf(user, dir)).state).toBe('running');
  expect(await ok(user, dir, ['exec', '--', 'echo', 'alive'])).toBe('alive');
}

forEachRuntime('kill -9 of the CLI', ['build', 'containers'], (runtime) => {
  it('during up -d, once the container exists: it keeps running', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'kill-up'), [
      'mounts: [".:/src"]',
      'hooks: {create: ["touch /src/hook-running; sleep 600"]}',
    ]);
    const up = background(user, dir, ['up', '-d']);
    // Seen through the project mount: polling with exec would start a CLI every few milliseconds
    // through a build on a busy machine.
    await waitFor(
      () => Promise.resolve(existsSync(path.join(dir, 'hook-running'))),
      'the create hook to run',
      600_000,
    );
    up.kill('SIGKILL');
    const killed = await up;
    expect(killed.signal).toBe('SIGKILL');
    await stillRunning(user, dir);
    await ok(user, dir, ['rm', '-f']);
  });

  it('during exec of a long command: it keeps running', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'kill-exec'));
    await ok(user, dir, ['up', '-d']);
    const exec = background(user, dir, ['exec', '--', 'sh', '-c', 'touch /tmp/exec-running; sleep 600']);
    await waitFor(() => existsInside(user, dir, '/tmp/exec-running'), 'the exec to run', 120_000);
    exec.kill('SIGKILL');
    expect((await exec).signal).toBe('SIGKILL');
    await stillRunning(user, dir);
    await ok(user, dir, ['rm', '-f']);
  });

  it('while attached in a terminal: it keeps running, and the shell is still there', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'kill-attach');
    const dir = projectOn(runtime, name);
    await ok(user, dir, ['up', '-d']);
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-conf-pid-')), 'attach.pid');
    const session = await terminal(`${runtime.name}-kill-attach`, user, dir, ['attach', name], pidFile);
    await session.waitFor(PROMPT, 120_000);
    await session.type('MARK=before-kill\n');
    // The shell echoed the line and prompts again: it has the variable. (Killed before that, the CLI
    // could take keystrokes it had not yet passed on with it; CI once lost them that way.)
    await session.waitFor(/MARK=before-kill\s*\n[^]*[/~] # ?$/m);
    expect(existsSync(pidFile)).toBe(true);
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    await session.waitFor(/\[exit 137\]/);
    await stillRunning(user, dir);

    const again = await terminal(`${runtime.name}-kill-attach-2`, user, dir, ['attach', name]);
    await again.waitFor(PROMPT, 120_000);
    await again.type('echo "mark=$MARK"\n');
    await again.waitFor(/mark=before-kill/);
    await ok(user, dir, ['rm', '-f']);
  });
});
