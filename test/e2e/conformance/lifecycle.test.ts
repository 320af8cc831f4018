/**
 * The life of an environment between up and rm: up with no terminal (it stays running), hooks
 * (create once, start every time, a failing one), two concurrent ups, stop/start/restart with
 * stop -t, what status and ls say (and --json), and logs of the main session (--tail, and -f ending
 * when the environment stops).
 */
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { forEachRuntime } from './runtimes.js';
import { envName, listed, ok, projectOn, statusOf } from './scenario.js';

forEachRuntime('an environment between up and rm', ['build', 'containers'], (runtime) => {
  it('hooks.create runs once per container, hooks.start on every start', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'hooks'), [
      'hooks:',
      '  create: ["echo created >> /root/hooks.log"]',
      '  start: ["echo started >> /root/hooks.log"]',
    ]);
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['stop', '-t', '1']);
    await ok(user, dir, ['start']);
    await ok(user, dir, ['restart']);
    await ok(user, dir, ['up', '-d']);
    expect((await ok(user, dir, ['exec', '--', 'cat', '/root/hooks.log'])).split('\n')).toEqual([
      'created',
      'started',
      'started',
      'started',
    ]);
    await ok(user, dir, ['rm', '-f']);
  });

  it('a failing hook stops up with its status, and runs again on the next up', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'hook-fails'), [
      'hooks: {create: ["test -f /root/ready"]}',
    ]);
    const failed = await user.run(dir, ['up', '-d']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('the create hook "test -f /root/ready" exited with status 1');
    expect(failed.stderr).not.toContain('hit a bug');
    await ok(user, dir, ['exec', '--', 'touch', '/root/ready']);
    const again = await user.run(dir, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await statusOf(user, dir)).state).toBe('running');
    await ok(user, dir, ['rm', '-f']);
  });

  it('two ups at once make one container; the second waits for the first', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'race');
    const dir = projectOn(runtime, name, ['steps: [{run: "sleep 1"}]']);
    const [a, b] = await Promise.all([user.run(dir, ['up', '-d']), user.run(dir, ['up', '-d'])]);
    expect([a.exitCode, b.exitCode], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    expect(`${a.stderr}${b.stderr}`).toMatch(new RegExp(`waiting for pid \\d+ \\(devenv up ${name}\\)`));
    expect(`${a.stderr}${b.stderr}`.match(/is up \(created\)/g)).toHaveLength(1);
    expect((await listed(user, dir)).filter((e) => e.name === name)).toHaveLength(1);
    await ok(user, dir, ['rm', '-f']);
  });

  it('up with no terminal builds, starts and leaves it running, saying how to attach', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'no-tty');
    const dir = projectOn(runtime, name);
    const run = await user.run(dir, ['up']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${name} is up (created). Attach with: devenv attach ${name}`);
    expect(run.stderr).not.toContain('attached to');
    expect((await statusOf(user, dir)).state).toBe('running');
    expect(await ok(user, dir, ['exec', '--', 'echo', 'still here'])).toBe('still here');
    await ok(user, dir, ['rm', '-f']);
  });

  it('stop -t, start and restart; status and ls report the state; --json gives one document', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'states');
    const dir = projectOn(runtime, name);
    expect(JSON.parse(await ok(user, dir, ['up', '-d', '--json']))).toMatchObject({
      outcome: 'success',
      name,
      runtime: runtime.name,
      action: 'created',
      built: true,
      attached: false,
    });
    expect(JSON.parse(await ok(user, dir, ['up', '-d', '--json']))).toMatchObject({
      action: 'running',
      built: false,
    });
    const created = (await statusOf(user, dir)).created;

    await ok(user, dir, ['stop', '-t', '1']);
    expect(await statusOf(user, dir)).toMatchObject({ name, state: 'exited', drift: 'in-sync', created });
    expect((await listed(user, dir)).find((e) => e.name === name)).toMatchObject({
      state: 'exited',
      project: dir,
    });
    const plain = await ok(user, dir, ['status']);
    expect(plain).toContain(`name:    ${name}`);
    expect(plain).toMatch(/state: {3}exited/);

    await ok(user, dir, ['start']);
    expect((await statusOf(user, dir)).state).toBe('running');
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo before > /root/restart']);
    await ok(user, dir, ['restart']);
    expect(await statusOf(user, dir)).toMatchObject({ state: 'running', created });
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/restart'])).toBe('before');
    expect((await listed(user, dir)).find((e) => e.name === name)).toMatchObject({ state: 'running' });

    const bad = await user.run(dir, ['stop', '-t', 'soon']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).not.toContain('hit a bug');
    await ok(user, dir, ['rm', '-f']);
  });

  it('logs shows the main session; --tail N the last lines; -f ends when it stops', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'logs'), [
      'command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 600"]',
    ]);
    await ok(user, dir, ['up', '-d']);
    await waitFor(
      async () => (await ok(user, dir, ['logs'])).includes('line-5'),
      'line-5 in the logs',
      120_000,
    );
    expect((await ok(user, dir, ['logs'])).split(/\r?\n/).filter(Boolean)).toEqual([
      'line-1',
      'line-2',
      'line-3',
      'line-4',
      'line-5',
    ]);
    expect((await ok(user, dir, ['logs', '--tail', '2'])).split(/\r?\n/).filter(Boolean)).toEqual([
      'line-4',
      'line-5',
    ]);

    const follow = execa(process.execPath, [CLI, ...user.globals, 'logs', '-f'], {
      cwd: dir,
      env: { NO_COLOR: '1', ...user.env },
      extendEnv: false,
      reject: false,
      timeout: 240_000,
    });
    let seen = '';
    follow.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    await waitFor(() => seen.includes('line-5'), 'logs -f to print line-5', 120_000);
    expect(follow.exitCode).toBeNull();
    await ok(user, dir, ['stop', '-t', '1']);
    const ended = await follow;
    expect(ended.timedOut).toBe(false);
    expect(ended.exitCode, ended.stderr).toBe(0);
    await ok(user, dir, ['rm', '-f']);
  });
});
