/**
 * A docker that never answers: every call that should answer in seconds has a limit, fails with a
 * message naming the call, and leaves no process behind: the fake CLI here is a shell script whose
 * `sleep` child would outlive a kill of the script alone.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { isRunning, recordedPids } from '../../helpers/processes.js';

/** A `docker` that answers the calls in `answers` (a prefix of its argv → output) and hangs on the rest. */
function fakeDocker(answers: Record<string, string> = {}): { bin: string; pids: string } {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'hung-docker-'));
  const pids = path.join(bin, 'pids');
  const cases = Object.entries(answers)
    .map(([prefix, output]) => `  "${prefix}"*) printf '%s\\n' '${output}'; exit 0 ;;`)
    .join('\n');
  writeFileSync(
    path.join(bin, 'docker'),
    [
      '#!/bin/sh',
      `echo $$ >> ${pids}`,
      `case "$*" in`,
      cases,
      'esac',
      // Not exec: the script stays the parent, as a wrapper around a hung real CLI would.
      'sleep 3600 &',
      `echo $! >> ${pids}`,
      'wait',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'docker'), 0o755);
  return { bin, pids };
}

async function devenvWith(bin: string, args: string[]) {
  const result = await execa(process.execPath, [CLI, '--runtime', 'docker', ...args], {
    env: {
      NO_COLOR: '1',
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      HOME: bin,
      DEVENV_DOCKER_TIMEOUT: '2',
      // The fake is the CLI: calls that would go to the Engine API on the default socket go to it too.
      DEVENV_DOCKER_API: '0',
    },
    extendEnv: false,
    reject: false,
    cwd: makeProject({ 'devenv.yml': 'name: hung\nbase: alpine\n' }),
    timeout: 120_000,
  });
  return {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

describe('a docker that never answers', () => {
  it.each([
    [['ls'], 'docker ps'],
    [['images'], 'docker image ls'],
    [['status'], 'docker container inspect'],
    [['status', 'other'], 'docker container inspect'],
  ])('devenv %j fails naming %s and leaves no process running', async (args, call) => {
    const fake = fakeDocker();
    const result = await devenvWith(fake.bin, args);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`error: ${call} did not answer within 2 s`);
    expect(result.stderr).toContain('"docker info" shows whether it answers');
    expect(result.stderr).not.toContain('hit a bug');
    const pids = recordedPids(fake.pids);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it.each([
    [['ls'], 'docker container inspect'],
    [['images'], 'docker image inspect'],
  ])('a docker that lists but hangs on inspect: devenv %j fails naming %s', async (args, call) => {
    const fake = fakeDocker({
      version: '20.10.24',
      'ps ': 'c0ffee',
      'image ls ': 'sha256:c0ffee',
    });
    const result = await devenvWith(fake.bin, args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`error: ${call} did not answer within 2 s`);
    expect(recordedPids(fake.pids).filter(isRunning)).toEqual([]);
  });

  it('DEVENV_DOCKER_TIMEOUT that is not a number of seconds is a usage error naming it', async () => {
    const fake = fakeDocker();
    const result = await execa(process.execPath, [CLI, '--runtime', 'docker', 'ls'], {
      env: {
        NO_COLOR: '1',
        PATH: `${fake.bin}:${process.env['PATH'] ?? ''}`,
        HOME: fake.bin,
        DEVENV_DOCKER_TIMEOUT: 'soon',
      },
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('DEVENV_DOCKER_TIMEOUT="soon" is not a number of seconds');
    expect(recordedPids(fake.pids)).toEqual([]);
  });
});
