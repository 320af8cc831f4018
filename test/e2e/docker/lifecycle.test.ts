/**
 * The seed's scenarios on a real Docker engine, in order: up and come back to the same container,
 * attach/detach in a real terminal, exec statuses, -v both ways, a named volume surviving rm, drift
 * of run settings (files kept) and of the image (with the warning).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run } from './env.js';

const sessions: TmuxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.kill();
  await docker([
    'rm',
    '-f',
    'seed-up',
    'seed-attach',
    'seed-exec',
    'seed-share',
    'seed-volume',
    'seed-drift',
  ]);
});

describe.skipIf(noDocker)('environment lifecycle on Docker', () => {
  it('up in a terminal attaches; exiting stops it; the next up brings back the same container with its files', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-up', []);
    const first = await TmuxSession.start('seed-up', `node ${CLI} up`, { cwd: dir, env });
    sessions.push(first);
    await first.waitFor(/\/ # ?$/m);
    await first.type('echo kept > /root/notes.txt; exit\n');
    await first.waitFor(/\[exit 0\]/);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'seed-up'])).stdout).toBe('false');
    const id = (await docker(['inspect', '--format', '{{.Id}}', 'seed-up'])).stdout;

    const second = await run(dir, env, ['up', '-d']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('seed-up is up (started)');
    expect((await docker(['inspect', '--format', '{{.Id}}', 'seed-up'])).stdout).toBe(id);
    const read = await run(dir, env, ['exec', '--', 'cat', '/root/notes.txt']);
    expect(read.stdout).toBe('kept');
  });

  it('attach rejoins the main session; ctrl-p ctrl-q detaches and leaves it running', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-attach', []);
    const session = await TmuxSession.start('seed-attach', `node ${CLI} up`, { cwd: dir, env });
    sessions.push(session);
    await session.waitFor(/\/ # ?$/m);
    await session.type('MARK=first-session\n');
    await session.keys('C-p', 'C-q');
    await session.waitFor(/detached from seed-attach; it keeps running/);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'seed-attach'])).stdout).toBe('true');

    const again = await TmuxSession.start('seed-attach-2', `node ${CLI} attach seed-attach`, {
      cwd: dir,
      env,
    });
    sessions.push(again);
    await again.keys('Enter');
    await again.waitFor(/\/ # ?$/m);
    await again.type('echo "mark=$MARK"\n');
    await again.waitFor(/mark=first-session/);
    await again.type('exit\n');
    await again.waitFor(/\[exit 0\]/);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', 'seed-attach'])).stdout).toBe('false');
  });

  it("exec passes the command's status through; devenv's own failures give 125", async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-exec', []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const failing = await run(dir, env, ['exec', '--', 'sh', '-c', 'echo to-stderr >&2; exit 42']);
    expect(failing.exitCode).toBe(42);
    expect(failing.stderr).toContain('to-stderr');
    expect((await run(dir, env, ['exec', '--', 'true'])).exitCode).toBe(0);
    const missing = await run(dir, env, ['exec', 'no-such-env', '--', 'true']);
    expect(missing.exitCode).toBe(125);
    expect(missing.stderr).toContain('there is no environment named no-such-env');
    await run(dir, env, ['stop']);
    const restarted = await run(dir, env, ['exec', '--', 'echo', 'auto-started']);
    expect(restarted.stdout).toBe('auto-started');
  });

  it('-v shares files both ways', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-share', ['mounts: [".:/src"]'], { 'from-host.txt': 'host says hi\n' });
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    expect((await run(dir, env, ['exec', '--', 'cat', '/src/from-host.txt'])).stdout).toBe('host says hi');
    expect(
      (await run(dir, env, ['exec', '--', 'sh', '-c', 'echo container says hi > /src/from-container.txt']))
        .exitCode,
    ).toBe(0);
    expect(readFileSync(path.join(dir, 'from-container.txt'), 'utf8')).toBe('container says hi\n');
    writeFileSync(path.join(dir, 'later.txt'), 'live\n');
    expect((await run(dir, env, ['exec', '--', 'cat', '/src/later.txt'])).stdout).toBe('live');
  });

  it('a named volume survives rm and the next up; rm --volumes removes it', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-volume', ['mounts: [{volume: cache, target: /cache}]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo cached > /cache/data']);
    const busy = await run(dir, env, ['rm']);
    expect(busy.exitCode).toBe(1);
    expect(busy.stderr).toContain('seed-volume is running');
    expect((await run(dir, env, ['rm', '-f'])).exitCode).toBe(0);
    expect((await docker(['volume', 'inspect', 'devenv-seed-volume-cache'])).exitCode).toBe(0);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    expect((await run(dir, env, ['exec', '--', 'cat', '/cache/data'])).stdout).toBe('cached');
    expect((await run(dir, env, ['rm', '-f', '--volumes'])).exitCode).toBe(0);
    expect((await docker(['volume', 'inspect', 'devenv-seed-volume-cache'])).exitCode).not.toBe(0);
  });

  it('drift: a new mount or env recreates the container keeping its files; a new image needs consent', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('seed-drift', ['mounts: [{volume: keep, target: /keep}]']);
    const file = path.join(dir, 'devenv.yml');
    const edit = (from: string, to: string) => {
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(from);
      writeFileSync(file, text.replace(from, to));
    };
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo layer > /root/in-layer; echo vol > /keep/in-volume',
    ]);

    edit('mounts: [{volume: keep, target: /keep}]', 'mounts: [{volume: keep, target: /keep}, ".:/src"]');
    const runDrift = await run(dir, env, ['up', '-d']);
    expect(runDrift.exitCode, runDrift.stderr).toBe(0);
    expect(runDrift.stderr).toContain(
      'run settings of seed-drift changed: mounts (+ /src), workdir ((none) → /src); recreating it and keeping its files',
    );
    expect((await run(dir, env, ['exec', '--', 'cat', '/root/in-layer', '/keep/in-volume'])).stdout).toBe(
      'layer\nvol',
    );
    expect((await run(dir, env, ['exec', '--', 'ls', '/src'])).stdout).toContain('devenv.yml');
    expect((await run(dir, env, ['status', '--json'])).stdout).toContain('"drift": "none"');

    // env is a run setting: no rebuild, files kept, $PATH refers to the image's PATH.
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nenv: {NEW_VAR: changed, PATH: "/opt/bin:$PATH"}\n`);
    const envDrift = await run(dir, env, ['up', '-d']);
    expect(envDrift.exitCode, envDrift.stderr).toBe(0);
    expect(envDrift.stderr).toContain('run settings of seed-drift changed: env (+ NEW_VAR, + PATH)');
    expect(envDrift.stderr).not.toContain('building');
    const vars = await run(dir, env, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo "$NEW_VAR"; echo "$PATH"; cat /root/in-layer',
    ]);
    expect(vars.stdout.split('\n')).toEqual([
      'changed',
      expect.stringMatching(/^\/opt\/bin:\/usr\/local\/sbin:.*:\/bin$/),
      'layer',
    ]);

    // A variable that leaves devenv.yml: the container keeps its files, so it is set empty.
    edit('NEW_VAR: changed, ', '');
    const removed = await run(dir, env, ['up', '-d']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('env (- NEW_VAR)');
    expect(removed.stderr).toContain('NEW_VAR left devenv.yml');
    const gone = await run(dir, env, ['exec', '--', 'sh', '-c', 'echo "[$NEW_VAR]"; echo "$PATH"']);
    expect(gone.stdout.split('\n')[0]).toBe('[]');
    expect(gone.stdout.split('\n')[1]).not.toContain('/opt/bin:/opt/bin');

    // An image change with no terminal and no -y discards nothing.
    writeFileSync(file, `${readFileSync(file, 'utf8')}steps: [{run: "touch /built"}]\n`);
    const refused = await run(dir, env, ['up', '-d']);
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('there is no terminal to ask; nothing was changed');
    expect(refused.stderr).toContain('devenv up -y');
    expect(refused.stderr).toContain('devenv up --keep-state');
    expect((await run(dir, env, ['exec', '--', 'cat', '/root/in-layer'])).stdout).toBe('layer');

    const imageDrift = await run(dir, env, ['up', '-d', '-y']);
    expect(imageDrift.exitCode, imageDrift.stderr).toBe(0);
    expect(imageDrift.stderr).toMatch(
      /the image changed, so recreating seed-drift: changes made in the container outside named volumes and mounts will be lost/,
    );
    expect(imageDrift.stderr.indexOf('will be lost')).toBeLessThan(imageDrift.stderr.lastIndexOf('is up'));
    const after = await run(dir, env, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo "$PATH"; cat /keep/in-volume; ls /built; ls /root/in-layer 2>&1',
    ]);
    expect(after.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^\/opt\/bin:\/usr\/local\/sbin:/),
      'vol',
      '/built',
    ]);
    expect(after.stdout).toContain('No such file');
    expect(existsSync(file)).toBe(true);
  });
});
