/**
 * devenv.yml edited under a running environment. A run setting (a mount, a variable) recreates the
 * container at once, keeps its files and says what changed; an image change discards the
 * container's own files, so it warns first, refuses without a terminal unless told -y or
 * --keep-state, and --keep-state keeps the old container running the previous image.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { forEachRuntime } from './runtimes.js';
import { appendConfig, editConfig, envName, ok, projectOn, statusOf } from './scenario.js';

forEachRuntime('devenv.yml drift', ['build', 'containers'], (runtime) => {
  it('a new mount or env recreates the container keeping its files, and says what changed', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'drift-run');
    const dir = projectOn(runtime, name, ['mounts: [{volume: keep, target: /keep}]']);
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo layer > /root/in-layer; echo vol > /keep/in-volume',
    ]);

    editConfig(
      dir,
      'mounts: [{volume: keep, target: /keep}]',
      'mounts: [{volume: keep, target: /keep}, ".:/src"]',
    );
    const mount = await user.run(dir, ['up', '-d']);
    expect(mount.exitCode, mount.stderr).toBe(0);
    expect(mount.stderr).toContain(
      `run settings of ${name} changed: mounts (+ /src), workdir ((none) → /src); recreating it and keeping its files`,
    );
    expect(mount.stderr).not.toContain('building');
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/in-layer', '/keep/in-volume'])).toBe(
      'layer\nvol',
    );
    expect(await ok(user, dir, ['exec', '--', 'ls', '/src'])).toContain('devenv.yml');
    expect((await statusOf(user, dir)).drift).toBe('in-sync');

    // $PATH refers to the image's own PATH.
    appendConfig(dir, 'env: {NEW_VAR: changed, PATH: "/opt/bin:$PATH"}');
    const env = await user.run(dir, ['up', '-d']);
    expect(env.exitCode, env.stderr).toBe(0);
    expect(env.stderr).toContain(`run settings of ${name} changed: env (+ NEW_VAR, + PATH)`);
    expect(env.stderr).not.toContain('building');
    const vars = await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo "$NEW_VAR"; echo "$PATH"; cat /root/in-layer',
    ]);
    expect(vars.split('\n')).toEqual([
      'changed',
      expect.stringMatching(/^\/opt\/bin:\/usr\/local\/sbin:.*:\/bin$/),
      'layer',
    ]);

    // A variable that leaves devenv.yml is gone from the environment. Docker keeps the files through
    // a commit, which carries the old value, so there it is set empty and named; the embedded runtime
    // moves the files under a new container, which never had it.
    editConfig(dir, 'NEW_VAR: changed, ', '');
    const removed = await user.run(dir, ['up', '-d']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('env (- NEW_VAR)');
    if (runtime.name === 'docker') expect(removed.stderr).toContain('NEW_VAR left devenv.yml');
    const gone = (await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo "[$NEW_VAR]"; echo "$PATH"'])).split(
      '\n',
    );
    expect(gone[0]).toBe('[]');
    expect(gone[1]).not.toContain('/opt/bin:/opt/bin');
    await ok(user, dir, ['rm', '-f', '--volumes']);
  });

  it('an image change warns first: refused without a terminal, -y recreates, named volumes kept', async () => {
    const user = runtime.user();
    const name = envName(runtime, 'drift-image');
    const dir = projectOn(runtime, name, [
      'mounts: [{volume: keep, target: /keep}]',
      'env: {PATH: "/opt/bin:$PATH"}',
    ]);
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo layer > /root/in-layer; echo vol > /keep/in-volume',
    ]);

    appendConfig(dir, 'steps: [{run: "touch /built"}]');
    const refused = await user.run(dir, ['up', '-d']);
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('there is no terminal to ask; nothing was changed');
    expect(refused.stderr).toContain('devenv up -y');
    expect(refused.stderr).toContain('devenv up --keep-state');
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/in-layer'])).toBe('layer');
    expect((await statusOf(user, dir)).drift).toBe('image-changed');

    const recreated = await user.run(dir, ['up', '-d', '-y']);
    expect(recreated.exitCode, recreated.stderr).toBe(0);
    expect(recreated.stderr).toMatch(
      new RegExp(
        `the image changed, so recreating ${name}: changes made in the container outside named volumes and mounts will be lost`,
      ),
    );
    expect(recreated.stderr.indexOf('will be lost')).toBeLessThan(recreated.stderr.lastIndexOf('is up'));
    const after = await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo "$PATH"; cat /keep/in-volume; ls /built; ls /root/in-layer 2>&1; true',
    ]);
    // The new container's PATH: the project's prefix on the image's own, once.
    expect(after.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^\/opt\/bin:\/usr\/local\/sbin:/),
      'vol',
      '/built',
    ]);
    expect(after).toContain('No such file');
    expect((await statusOf(user, dir)).drift).toBe('in-sync');
    expect(existsSync(path.join(dir, 'devenv.yml'))).toBe(true);
    expect(readFileSync(path.join(dir, 'devenv.yml'), 'utf8')).toContain('touch /built');
    await ok(user, dir, ['rm', '-f', '--volumes']);
  });

  it('--keep-state keeps the old container when the image changed', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'drift-keep'));
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo precious > /root/work']);
    const before = await statusOf(user, dir);
    appendConfig(dir, 'steps: [{run: "echo 2 > /v"}]');
    const kept = await user.run(dir, ['up', '-d', '--keep-state']);
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(kept.stderr).toContain(
      '--keep-state keeps the old container, which still runs the previous image',
    );
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/work'])).toBe('precious');
    expect(await statusOf(user, dir)).toMatchObject({
      drift: 'image-changed',
      created: before.created,
      state: 'running',
    });
    await ok(user, dir, ['rm', '-f']);
  });
});
