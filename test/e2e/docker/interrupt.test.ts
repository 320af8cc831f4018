/**
 * ctrl-c: SIGINT to devenv's process group, as a terminal sends it, at a chosen moment. Every cleanup
 * runs, the exit status is 130 with one short line, and nothing is left: no build folder, no
 * FILE.partial, no temporary image, no lock helper. At a `[y/N]` prompt ctrl-c is a key (readline
 * holds the terminal in raw mode), so that case runs in a real terminal. Without a terminal, a
 * `devenv run` passes the signal to the container's process, as plain docker does.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run } from './env.js';

const sessions: TmuxSession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.kill();
});

/** Polls `ready` until it holds; fails with `what` after a generous limit for a loaded machine. */
async function until(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await ready())) {
    if (Date.now() - start > 180_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts devenv as the leader of its own process group (as a shell starts a foreground job), so the
 * test can send a signal to it and every docker child at once, as ctrl-c in a terminal does.
 */
function startDevenv(cwd: string, env: Record<string, string>, args: string[]) {
  const child = execa(process.execPath, [CLI, ...args], {
    cwd,
    env: { NO_COLOR: '1', ...env },
    extendEnv: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: () => {
      process.kill(-(child.pid ?? 0), 'SIGINT');
    },
    done: child,
  };
}

describe.skipIf(noDocker)('ctrl-c', () => {
  it('during a docker build: exit 130, no build folder left, no "hit a bug"', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'devenv-int-tmp-'));
    const env = isolatedEnv({ TMPDIR: tmp });
    // The marker is computed by the step, so it shows in the output only once the step runs.
    const dir = busyboxProject('int-build', ['steps:', '  - run: echo "int-$((6*7))-running" && sleep 600']);
    const cli = startDevenv(dir, env, ['build']);
    await until('the build step to run', () => cli.stderr().includes('int-42-running'));
    expect(readdirSync(tmp).filter((f) => f.startsWith('devenv-build-'))).toHaveLength(1);
    cli.interrupt();
    const result = await cli.done;
    expect(result.exitCode, cli.stderr()).toBe(130);
    expect(cli.stderr()).not.toContain('hit a bug');
    expect(cli.stderr().trimEnd().split('\n').pop()).toBe('interrupted');
    expect(readdirSync(tmp)).toEqual([]);
    const image = await docker(['image', 'inspect', 'devenv/int-build:latest']);
    expect(image.exitCode).not.toBe(0);
    // Nor an intermediate container of the cancelled step. The engine kills and removes it once it
    // sees the build's client go, on its own time: on a quick machine devenv can be back first.
    await until("the engine to remove the cancelled step's container", async () => {
      const containers = await docker(['ps', '--all', '--no-trunc', '--format', '{{.Command}}']);
      return !containers.stdout.includes('int-$((6*7))-running');
    });
  });

  it('during devenv run without a terminal: the container gets the signal, its status passes through', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('int-run', []);
    expect((await run(dir, env, ['build'])).exitCode).toBe(0);
    const cli = startDevenv(dir, env, [
      'run',
      '--',
      'sh',
      '-c',
      'trap "echo caught-int; exit 7" INT; echo run-ready; while :; do sleep 1; done',
    ]);
    await until('the command to run', () => cli.stdout().includes('run-ready'));
    cli.interrupt();
    const result = await cli.done;
    expect(result.exitCode, cli.stderr()).toBe(7);
    expect(cli.stdout()).toContain('caught-int');
    expect(cli.stderr()).not.toContain('hit a bug');
  });

  it.each([
    ['after the whole archive', ''],
    ['in the middle of a layer', ' | head -c 300000'],
  ])('during save, %s: exit 130, no FILE.partial, no committed image, no work folder', async (_, cut) => {
    const env = isolatedEnv();
    const dir = busyboxProject(`int-save${cut === '' ? '' : '-cut'}`, []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo state > /root/made-inside']);
    // A slow engine: docker save sends the archive (or its first part), then keeps the stream open,
    // so the save is caught mid-write with FILE.partial on disk.
    const real = (await execa('sh', ['-c', 'command -v docker'])).stdout;
    const bin = mkdtempSync(path.join(os.tmpdir(), 'slow-docker-'));
    writeFileSync(
      path.join(bin, 'docker'),
      `#!/bin/sh\nif [ "$1" = save ]; then ${real} "$@"${cut} || exit $?; exec sleep 600; fi\nexec ${real} "$@"\n`,
    );
    chmodSync(path.join(bin, 'docker'), 0o755);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-int-save-')), 'env.tar');
    const imageIds = async () =>
      (await docker(['images', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean).sort();
    const before = await imageIds();
    const cli = startDevenv(dir, { ...env, PATH: `${bin}:${env['PATH'] ?? ''}` }, ['save', '-o', out]);
    await until('FILE.partial', () => existsSync(`${out}.partial`));
    // The commit came first: its temporary (untagged) image exists while the save runs.
    expect(await imageIds()).not.toEqual(before);
    cli.interrupt();
    const result = await cli.done;
    expect(result.exitCode, cli.stderr()).toBe(130);
    expect(cli.stderr()).not.toContain('hit a bug');
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(await imageIds()).toEqual(before);
    const work = path.join(env['HOME'] ?? '', '.local/state/devenv/tmp');
    expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);
  });

  it('while waiting for another devenv up to finish: exit 130 at once', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('int-lock', []);
    const locks = path.join(env['HOME'] ?? '', '.local/state/devenv/locks');
    mkdirSync(locks, { recursive: true });
    const lockFile = path.join(locks, 'int-lock');
    // Its own group, so the kill below takes flock's sleep (which holds the lock) with it.
    const holder = execa('flock', [lockFile, 'sleep', '600'], {
      reject: false,
      detached: true,
      stdio: 'ignore',
    });
    try {
      await until('the test to hold the lock', async () => {
        const probe = await execa('flock', ['--nonblock', lockFile, 'true'], {
          reject: false,
        });
        return probe.exitCode !== 0;
      });
      const cli = startDevenv(dir, env, ['up', '-d']);
      await until('devenv to wait for the lock', () => cli.stderr().includes('waiting for'));
      cli.interrupt();
      const result = await cli.done;
      expect(result.exitCode, cli.stderr()).toBe(130);
      expect(cli.stderr()).not.toContain('hit a bug');
      expect((await docker(['container', 'inspect', 'int-lock'])).exitCode).not.toBe(0);
    } finally {
      process.kill(-(holder.pid ?? 0), 'SIGKILL');
      await holder;
    }
  });

  it('at the [y/N] prompt: exit 130, nothing changed, no "hit a bug"', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('int-prompt', []);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    const before = (await docker(['container', 'inspect', '--format', '{{.Id}}', 'int-prompt'])).stdout;
    const session = await TmuxSession.start('int-prompt', `node ${CLI} up --recreate -d`, { cwd: dir, env });
    sessions.push(session);
    await session.waitFor(/discard those changes\? \[y\/N\]/, 180_000);
    await session.keys('C-c');
    const screen = await session.waitFor(/\[exit \d+\]/, 180_000);
    expect(screen).toContain('[exit 130]');
    expect(screen).toContain('interrupted');
    expect(screen).not.toContain('hit a bug');
    const after = (await docker(['container', 'inspect', '--format', '{{.Id}}', 'int-prompt'])).stdout;
    expect(after).toBe(before);
  });
});

describe('ctrl-c on the embedded runtime', () => {
  it('during a pull from a registry that stalls: exit 130, not a wait for the idle timeout', async () => {
    const asked: string[] = [];
    // A registry that answers the version check and then never answers the manifest request.
    const server = createServer((request, response) => {
      asked.push(request.url ?? '');
      if (request.url === '/v2/') response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-int-pull-'));
      const cli = startDevenv(home, { HOME: home, PATH: process.env['PATH'] ?? '' }, [
        '--runtime',
        'embedded',
        '--root',
        path.join(home, 'store'),
        'pull',
        `127.0.0.1:${port}/stalled:1`,
      ]);
      await until('the manifest request', () => asked.some((url) => url.includes('/manifests/')));
      cli.interrupt();
      const result = await cli.done;
      expect(result.exitCode, cli.stderr()).toBe(130);
      expect(cli.stderr().trimEnd().split('\n').pop()).toBe('interrupted');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
