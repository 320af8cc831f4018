/**
 * Files shared with the host and files kept apart from the container: a bind mount is live both
 * ways, owned on the host by the user who wrote them inside; a named volume survives rm and comes
 * back with the next up, and rm --volumes removes it.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { forEachRuntime } from './runtimes.js';
import { envName, ok, projectOn, statusOf } from './scenario.js';

forEachRuntime('mounts and volumes', ['build', 'containers'], (runtime) => {
  it('a bind mount shares files both ways, owned as the user who wrote them', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'share'), ['mounts: [".:/src"]'], {
      'from-host.txt': 'host says hi\n',
      open: null,
    });
    // A folder anyone may write to, for the user that is not root.
    chmodSync(path.join(dir, 'open'), 0o777);
    await ok(user, dir, ['up', '-d']);
    expect(await ok(user, dir, ['exec', '--', 'cat', '/src/from-host.txt'])).toBe('host says hi');
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo container says hi > /src/from-container.txt']);
    expect(readFileSync(path.join(dir, 'from-container.txt'), 'utf8')).toBe('container says hi\n');
    expect(statSync(path.join(dir, 'from-container.txt')).uid).toBe(0);
    await ok(user, dir, [
      'exec',
      '--user',
      '4321:4321',
      '--',
      'sh',
      '-c',
      'echo mine > /src/open/by-4321.txt',
    ]);
    const owned = statSync(path.join(dir, 'open', 'by-4321.txt'));
    expect([owned.uid, owned.gid]).toEqual([4321, 4321]);

    writeFileSync(path.join(dir, 'later.txt'), 'live\n');
    expect(await ok(user, dir, ['exec', '--', 'cat', '/src/later.txt'])).toBe('live');
    writeFileSync(path.join(dir, 'later.txt'), 'changed\n');
    expect(await ok(user, dir, ['exec', '--', 'cat', '/src/later.txt'])).toBe('changed');
    await ok(user, dir, ['rm', '-f']);
  });

  it('a named volume survives rm and the next up; rm --volumes removes it', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'volume');
    const dir = projectOn(runtime, name, ['mounts: [{volume: cache, target: /cache}]']);
    await ok(user, dir, ['up', '-d']);
    const mounts = (await statusOf(user, dir)).mounts ?? [];
    expect(mounts.find((m) => m.target === '/cache')).toMatchObject({ type: 'volume' });
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo cached > /cache/data']);

    const busy = await user.run(dir, ['rm']);
    expect(busy.exitCode).toBe(1);
    expect(busy.stderr).toContain(`${name} is running`);
    await ok(user, dir, ['rm', '-f']);
    expect((await statusOf(user, dir)).state).toBe('not created');
    const up = await user.run(dir, ['up', '-d']);
    expect(up.stderr).toContain(`${name} is up (created)`);
    expect(await ok(user, dir, ['exec', '--', 'cat', '/cache/data'])).toBe('cached');

    await ok(user, dir, ['rm', '-f', '--volumes']);
    await ok(user, dir, ['up', '-d']);
    const gone = await user.run(dir, ['exec', '--', 'ls', '/cache']);
    expect(gone.exitCode, gone.stderr).toBe(0);
    expect(gone.stdout).toBe('');
    await ok(user, dir, ['rm', '-f', '--volumes']);
  });
});
