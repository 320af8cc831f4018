/**
 * Commands in an environment: exec passes the command's status through and the caller's stdin to
 * it, devenv's own failures give 125, it sees the environment's variables, runs as another user or
 * in another folder, and starts a stopped environment; run uses a throwaway container with the same
 * settings and leaves nothing behind.
 */
import { expect, it } from 'vitest';
import { forEachRuntime } from './runtimes.js';
import { envName, listed, ok, projectOn, statusOf } from './scenario.js';

forEachRuntime('commands in an environment', ['build', 'containers'], (runtime) => {
  it("exec passes the command's status through; devenv's own failure gives 125", async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'exec-status'));
    await ok(user, dir, ['up', '-d']);
    const three = await user.run(dir, ['exec', '--', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
    expect(three.exitCode).toBe(3);
    expect(three.stderr).toContain('to-stderr');
    expect((await user.run(dir, ['exec', '--', 'true'])).exitCode).toBe(0);
    // The caller's stdin reaches the command (its descriptor, handed on) and its end ends the command.
    const piped = await user.run(dir, ['exec', '--', 'sh', '-c', 'cat; echo end'], {
      input: 'through stdin\n',
    });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stdout.trim()).toBe('through stdin\nend');
    const missing = await user.run(dir, ['exec', 'no-such-env', '--', 'true']);
    expect(missing.exitCode).toBe(125);
    expect(missing.stderr).toContain('there is no environment named no-such-env');
    expect(missing.stderr).not.toContain('hit a bug');

    await ok(user, dir, ['stop', '-t', '1']);
    expect(await ok(user, dir, ['exec', '--', 'echo', 'auto-started'])).toBe('auto-started');
    expect((await statusOf(user, dir)).state).toBe('running');
    await ok(user, dir, ['rm', '-f']);
  });

  it('exec -- env shows the environment; --user and --workdir choose who and where', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'exec-env'), ['env: {GREETING: hello, EMPTY: ""}']);
    await ok(user, dir, ['up', '-d']);
    const vars = (await ok(user, dir, ['exec', '--', 'env'])).split('\n');
    expect(vars).toContain('GREETING=hello');
    expect(vars).toContain('EMPTY=');
    expect(vars.find((line) => line.startsWith('PATH='))).toMatch(/\/bin/);

    const as = await ok(user, dir, [
      'exec',
      '--user',
      '65534',
      '--workdir',
      '/tmp',
      '--',
      'sh',
      '-c',
      'id -u; pwd',
    ]);
    expect(as.split('\n')).toEqual(['65534', '/tmp']);
    expect(await ok(user, dir, ['exec', '-u', 'root', '-w', '/etc', '--', 'sh', '-c', 'id -un; pwd'])).toBe(
      'root\n/etc',
    );
    await ok(user, dir, ['rm', '-f']);
  });

  it('run uses a throwaway container with the same settings, passes its status through, leaves nothing', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'run');
    const dir = projectOn(runtime, name, ['mounts: [".:/src"]', 'env: {WHERE: image}'], {
      'host.txt': 'from host\n',
    });
    const result = await user.run(dir, [
      'run',
      '--',
      'sh',
      '-c',
      'cat /src/host.txt; echo "$WHERE"; echo made > /src/by-run.txt; exit 3',
    ]);
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stdout).toBe('from host\nimage');
    expect((await statusOf(user, dir)).state).toBe('not created');
    expect((await listed(user, dir)).filter((e) => e.name === name || e.project === dir)).toEqual([]);
    // The throwaway container wrote through the same mount, and is gone: up creates a fresh one.
    const up = await user.run(dir, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain(`${name} is up (created)`);
    expect(await ok(user, dir, ['exec', '--', 'cat', '/src/by-run.txt'])).toBe('made');
    expect((await listed(user, dir)).filter((e) => e.project === dir).map((e) => e.name)).toEqual([name]);
    await ok(user, dir, ['rm', '-f']);
  });
});
