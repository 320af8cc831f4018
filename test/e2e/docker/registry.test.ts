/**
 * push and pull through the loopback registry that needs basic auth; the password never reaches argv.
 * The build and the pull report with --progress=json: every stderr line is an event.
 */
import { describe, expect, it } from 'vitest';
import { busyboxProject, docker, isolatedEnv, run, services } from './env.js';
import { lacks } from '../needs.js';

/** Every line of `stderr` as the JSON object it must be (`--progress=json`). */
function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.skipIf(lacks('docker', 'auth-registry'))('images through a registry with basic auth', () => {
  it('login (password on stdin), tag, push, rmi, pull, images', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('reg-push', ['steps: [{run: "echo pushed > /marker"}]']);
    const built = await run(dir, env, ['build', '--progress=json']);
    expect(built.exitCode, built.stderr).toBe(0);
    const buildEvents = jsonLines(built.stderr);
    expect(buildEvents).toContainEqual(expect.objectContaining({ type: 'job:start', kind: 'build' }));
    expect(buildEvents).toContainEqual(
      expect.objectContaining({ type: 'build:step', instruction: expect.stringContaining('echo pushed') }),
    );
    expect(buildEvents).toContainEqual(expect.objectContaining({ type: 'job:end', kind: 'build', ok: true }));
    const target = `${services.authRegistry}/team/reg-push:1`;

    expect((await run(dir, env, ['tag', 'devenv/reg-push:latest', target])).exitCode).toBe(0);
    const denied = await run(dir, env, ['push', target]);
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toMatch(/no basic auth credentials|unauthorized/);

    const login = await run(dir, env, ['login', services.authRegistry, '-u', services.authUser], {
      input: `${services.authPassword}\n`,
    });
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain(`logged in to ${services.authRegistry} as ${services.authUser}`);
    const badLogin = await run(dir, env, ['login', services.authRegistry, '-u', services.authUser], {
      input: 'wrong\n',
    });
    expect(badLogin.exitCode).toBe(1);

    const pushed = await run(dir, env, ['push', target, '--progress=json']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    // Without a terminal the docker CLI prints each layer's changes of state, not bytes.
    const pushEvents = jsonLines(pushed.stderr);
    expect(pushEvents[0]).toEqual({ type: 'job:start', kind: 'push', label: target });
    expect(pushEvents).toContainEqual(expect.objectContaining({ type: 'transfer:done', phase: 'upload' }));
    expect(pushEvents.slice(-2)).toEqual([
      { type: 'job:end', kind: 'push', label: target, ok: true },
      { type: 'info', message: `pushed ${target}` },
    ]);
    expect((await run(dir, env, ['rmi', target])).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', target])).exitCode).not.toBe(0);

    const pulled = await run(dir, env, ['pull', target, '--json', '--progress=json']);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    // The layers are still here (the build's image has them): the pull fetches no layer.
    const pullEvents = jsonLines(pulled.stderr);
    expect(pullEvents[0]).toEqual({ type: 'job:start', kind: 'pull', label: target });
    expect(pullEvents.at(-1)).toEqual({ type: 'job:end', kind: 'pull', label: target, ok: true });
    expect(JSON.parse(pulled.stdout)).toMatchObject({
      outcome: 'success',
      ref: target,
      id: expect.stringMatching(/^sha256:/),
    });
    expect((await docker(['run', '--rm', '--network', 'none', target, 'cat', '/marker'])).stdout).toBe(
      'pushed',
    );
    const images = JSON.parse((await run(dir, env, ['images', '--json'])).stdout) as { tags: string[] }[];
    expect(images.some((i) => i.tags.includes(target))).toBe(true);
  });
});
