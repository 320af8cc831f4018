/** push and pull through the loopback registry that needs basic auth; the password never reaches argv. */
import { describe, expect, it } from 'vitest';
import { busyboxProject, docker, isolatedEnv, run, services } from './env.js';
import { lacks } from '../needs.js';

describe.skipIf(lacks('docker', 'auth-registry'))('images through a registry with basic auth', () => {
  it('login (password on stdin), tag, push, rmi, pull, images', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('reg-push', ['steps: [{run: "echo pushed > /marker"}]']);
    expect((await run(dir, env, ['build'])).exitCode).toBe(0);
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

    const pushed = await run(dir, env, ['push', target]);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect((await run(dir, env, ['rmi', target])).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', target])).exitCode).not.toBe(0);

    const pulled = await run(dir, env, ['pull', target, '--json']);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
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
