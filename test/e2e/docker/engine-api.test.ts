/**
 * devenv on the local engine's socket talks to the Engine API itself: exec passes the status through
 * (0, 3, and whatever `docker exec` gives for a missing command), keeps stdout and stderr apart,
 * pipes stdin and ends it, and in a real terminal runs with a TTY that follows a resize and gives
 * the terminal back as it was; a no-op `up -d`, `start` and exec run no docker CLI at all. With
 * DEVENV_DOCKER_API=0 the same commands go through the CLI and behave the same.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { lacks } from '../needs.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, isolatedEnv, noDocker, run, services } from './env.js';

const NAME = 'engine-api';
let dir: string;
let env: Record<string, string>;
/** Every docker CLI call devenv makes, one argv per line. */
let calls: string;
const terminals: TmuxSession[] = [];

/** A `docker` first on PATH that records its argv and runs the real one. */
async function recordingDocker(): Promise<{ bin: string; log: string }> {
  const real = (await execa('sh', ['-c', 'command -v docker'])).stdout.trim();
  const bin = mkdtempSync(path.join(os.tmpdir(), 'docker-calls-'));
  const log = path.join(bin, 'calls.log');
  writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(path.join(bin, 'docker'), 0o755);
  return { bin, log };
}

function callsSince(offset: number): string[] {
  if (!existsSync(calls)) return [];
  return readFileSync(calls, 'utf8').slice(offset).split('\n').filter(Boolean);
}

function logSize(): number {
  return existsSync(calls) ? readFileSync(calls, 'utf8').length : 0;
}

beforeAll(async () => {
  if (noDocker) return;
  const recorder = await recordingDocker();
  calls = recorder.log;
  const base = isolatedEnv();
  env = { ...base, PATH: `${recorder.bin}:${base['PATH'] ?? ''}` };
  dir = busyboxProject(NAME, []);
  const up = await run(dir, env, ['up', '-d']);
  expect(up.exitCode, up.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  for (const terminal of terminals) await terminal.kill();
  await docker(['rm', '-f', NAME]);
});

describe.skipIf(noDocker)('the Engine API on the local socket', () => {
  for (const via of ['api', 'cli'] as const) {
    const extra = (): Record<string, string> => (via === 'cli' ? { ...env, DEVENV_DOCKER_API: '0' } : env);

    it(`exec (${via}): statuses pass through, stdout and stderr stay apart, stdin is piped and ended`, async () => {
      const before = logSize();
      expect((await run(dir, extra(), ['exec', '--', 'true'])).exitCode).toBe(0);
      const three = await run(dir, extra(), [
        'exec',
        '--',
        'sh',
        '-c',
        'echo to-out; echo to-err >&2; exit 3',
      ]);
      expect(three).toMatchObject({ exitCode: 3, stdout: 'to-out', stderr: 'to-err' });

      const plain = await docker(['exec', NAME, 'no-such-command']);
      const missing = await run(dir, extra(), ['exec', '--', 'no-such-command']);
      expect(plain.exitCode).toBeGreaterThan(0);
      expect(missing.exitCode).toBe(plain.exitCode);
      expect(`${missing.stdout}${missing.stderr}`).toContain('no-such-command');

      const piped = await run(dir, extra(), ['exec', '--', 'sh', '-c', 'cat; echo "[eof]"'], {
        input: 'hi\nthere\n',
      });
      expect(piped).toMatchObject({ exitCode: 0, stdout: 'hi\nthere\n[eof]' });

      const spawned = callsSince(before);
      if (via === 'api') expect(spawned).toEqual([]);
      else expect(spawned.filter((c) => c.startsWith('exec '))).toHaveLength(4);
    });
  }

  it('start and a no-op up -d run no docker CLI; the CLI path does the same work', async () => {
    expect((await run(dir, env, ['stop', '-t', '0'])).exitCode).toBe(0);
    const before = logSize();
    const started = await run(dir, env, ['start']);
    expect(started.exitCode, started.stderr).toBe(0);
    expect((await docker(['inspect', '--format', '{{.State.Running}}', NAME])).stdout).toBe('true');
    const noop = await run(dir, env, ['up', '-d']);
    expect(noop.exitCode, noop.stderr).toBe(0);
    expect(noop.stderr).toContain(`${NAME} is already running`);
    expect(callsSince(before)).toEqual([]);

    const cliBefore = logSize();
    const viaCli = await run(dir, { ...env, DEVENV_DOCKER_API: '0' }, ['up', '-d']);
    expect(viaCli.exitCode, viaCli.stderr).toBe(0);
    expect(callsSince(cliBefore)).toContain(`container inspect ${NAME}`);
  });

  it('in a real terminal: a TTY that follows a resize, the status, and the terminal given back', async () => {
    // On API 1.41 the first size is sent once the command runs (as the docker CLI does there), so the
    // command may start before it lands: wait for it rather than race it. Until then busybox's stty
    // prints nothing at all (not "0 0"), so wait for two numbers.
    const script =
      'tty; while :; do s=$(stty size 2>/dev/null); case "$s" in [1-9]*" "[1-9]*) break;; esac; sleep 0.1; done; echo "$s"; read line; stty size; exit 5';
    const cli = ['node', CLI, 'exec', '--', 'sh', '-c', script].map((a) => `'${a}'`).join(' ');
    // After devenv returns, the outer shell prints whether the terminal is canonical again.
    const session = await TmuxSession.start(
      `engine-api-${process.pid}`,
      `${cli}; echo "[status $?]"; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'`,
      { cwd: dir, env: { NO_COLOR: '1', ...env } },
    );
    terminals.push(session);
    await session.waitFor(/^40 120$/m, 120_000);
    expect(await session.screen()).toMatch(/\/dev\/pts\/\d+/);
    await execa('tmux', ['resize-window', '-t', session.name, '-x', '100', '-y', '30']);
    // The new size reaches the command through the engine; give it a moment before asking.
    await new Promise((r) => setTimeout(r, 1000));
    await session.type('\n');
    await session.waitFor(/^30 100$/m);
    const screen = await session.waitFor(/\[exit 0\]/);
    expect(screen).toContain('[status 5]');
    expect(screen).toMatch(/^icanon$/m);
  });

  it.skipIf(lacks('docker', 'root'))(
    'a socket that refuses the user: the same message as the CLI gives',
    async () => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'perm-'));
      chmodSync(home, 0o777);
      const result = await execa(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--',
          process.execPath,
          CLI,
          '--runtime',
          'docker',
          'status',
        ],
        {
          env: {
            NO_COLOR: '1',
            PATH: process.env['PATH'] ?? '',
            HOME: home,
            DOCKER_HOST: services.dockerHost,
          },
          extendEnv: false,
          reject: false,
          cwd: makeProject({ 'devenv.yml': 'name: perm\nbase: alpine\n' }),
        },
      );
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`error: permission denied on the Docker socket ${services.dockerHost}`);
      expect(result.stderr).toContain('sudo usermod -aG docker');
    },
  );
});
