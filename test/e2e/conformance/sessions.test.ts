/**
 * The main session in a real terminal: up attaches and exiting the shell stops the environment, the
 * next up finds the same container with its files; attach says where you are and how to leave,
 * ctrl-p ctrl-q detaches and the shell (with its variables) is still there on the next attach;
 * shell opens a second shell beside it.
 */
import { afterAll, expect, it } from 'vitest';
import { forEachRuntime } from './runtimes.js';
import { closeTerminals, envName, ok, projectOn, PROMPT, statusOf, terminal } from './scenario.js';

afterAll(closeTerminals);

forEachRuntime('the main session', ['build', 'containers'], (runtime) => {
  it('up in a terminal attaches; exiting stops it; the next up finds the same container and its files', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'term-up');
    const dir = projectOn(runtime, name);
    const first = await terminal(`${runtime.name}-up`, user, dir, ['up']);
    await first.waitFor(PROMPT, 240_000);
    await first.type('echo kept > /root/notes.txt; exit\n');
    await first.waitFor(/\[exit 0\]/);
    const stopped = await statusOf(user, dir);
    expect(stopped.state).toBe('exited');

    const second = await user.run(dir, ['up', '-d']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain(`${name} is up (started)`);
    const again = await statusOf(user, dir);
    expect(again).toMatchObject({ state: 'running', created: stopped.created });
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/notes.txt'])).toBe('kept');
    await ok(user, dir, ['rm', '-f']);
  });

  it('attach says where you are; ctrl-p ctrl-q detaches; the next attach finds the shell and its variable', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'term-attach');
    const dir = projectOn(runtime, name);
    const session = await terminal(`${runtime.name}-attach`, user, dir, ['up']);
    await session.waitFor(PROMPT, 240_000);
    await session.type('MARK=first-session\n');
    await session.keys('C-p', 'C-q');
    await session.waitFor(new RegExp(`detached from ${name}; it keeps running`));
    expect((await statusOf(user, dir)).state).toBe('running');

    const again = await terminal(`${runtime.name}-attach-2`, user, dir, ['attach', name]);
    // The prompt comes back without a key press, under the line that says how to leave.
    const screen = await again.waitFor(new RegExp(`attached to ${name}[^\\n]*\\n+[/~] # ?$`, 'm'), 120_000);
    expect(screen).toContain(`attached to ${name} — ctrl-p ctrl-q detaches, the session keeps running`);
    await again.type('echo "mark=$MARK"\n');
    await again.waitFor(/mark=first-session/);
    await again.type('exit 3\n');
    await again.waitFor(/\[exit 3\]/);
    // The line is longer than the terminal is wide: join the rows tmux wrapped it into.
    expect((await again.screen()).replace(/\n/g, '')).toContain(
      `${name} stopped (its shell exited with status 3); start it again with: devenv start ${name}`,
    );
    expect((await statusOf(user, dir)).state).toBe('exited');
    await ok(user, dir, ['rm', '-f']);
  });

  it('shell opens a second shell with its own terminal beside the main session', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'term-shell'));
    await ok(user, dir, ['up', '-d']);
    const shell = await terminal(`${runtime.name}-shell`, user, dir, ['shell']);
    await shell.waitFor(PROMPT, 120_000);
    await shell.type('tty; exit 4\n');
    await shell.waitFor(/\[exit 4\]/);
    expect(await shell.screen()).toMatch(/\/dev\/pts\/\d+/);
    expect((await statusOf(user, dir)).state).toBe('running');
    await ok(user, dir, ['rm', '-f']);
  });
});
