/** The interruption error, and main reporting any failure of an interrupted run as one short line. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import {
  interruption,
  InterruptedError,
  signalExitStatus,
  throwIfInterrupted,
} from '../../src/util/interrupt.js';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

async function runMain(argv: string[], signal: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const home = mkdtempSync(path.join(os.tmpdir(), 'devenv-interrupt-'));
  const status = await main({
    argv,
    cwd: home,
    env: { NO_COLOR: '1' },
    homeDir: home,
    hostUser: { name: 'u', uid: 1000, gid: 1000 },
    arch: 'x64',
    platform: 'linux',
    stdin: new PassThrough(),
    stdout,
    stderr,
    version: '0.0.0',
    signal,
  });
  return { status, stdout: out(), stderr: err() };
}

describe('interruption', () => {
  it('exits as a shell reports the signal: 130 for ctrl-c, 143 for SIGTERM, 129 for SIGHUP', () => {
    expect(signalExitStatus('SIGINT')).toBe(130);
    expect(new InterruptedError().exitCode).toBe(130);
    expect(new InterruptedError('SIGTERM')).toMatchObject({
      code: 'DEVENV_INTERRUPTED',
      exitCode: 143,
      message: 'interrupted by SIGTERM',
    });
    expect(new InterruptedError('SIGHUP').exitCode).toBe(129);
  });

  it('an aborted signal throws its reason, or a plain ctrl-c without one', () => {
    expect(() => {
      throwIfInterrupted(undefined);
    }).not.toThrow();
    expect(() => {
      throwIfInterrupted(new AbortController().signal);
    }).not.toThrow();
    const controller = new AbortController();
    controller.abort(new InterruptedError('SIGTERM'));
    expect(() => {
      throwIfInterrupted(controller.signal);
    }).toThrow('interrupted by SIGTERM');
    expect(interruption(AbortSignal.abort()).exitCode).toBe(130);
  });

  it('main reports a failure after an interrupt as "interrupted", exit 130, never as a bug', async () => {
    const controller = new AbortController();
    controller.abort(new InterruptedError('SIGINT'));
    // validate fails on its own here (no devenv.yml); the interrupt is what the user caused.
    const result = await runMain(['validate'], controller.signal);
    expect(result.status).toBe(130);
    expect(result.stderr).toBe('interrupted\n');
    expect(result.stdout).toBe('');
    const json = await runMain(['validate', '--json'], controller.signal);
    expect(JSON.parse(json.stdout)).toEqual({
      outcome: 'error',
      code: 'DEVENV_INTERRUPTED',
      message: 'interrupted',
    });
  });

  it('without an interrupt the same failure is reported as itself', async () => {
    const result = await runMain(['validate'], new AbortController().signal);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toContain('interrupted');
  });
});
