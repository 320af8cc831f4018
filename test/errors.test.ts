/** The exit status follows from the error code alone, in every command (README, "Exit status"). */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/diagnostic.js';
import { DevenvError, exitStatusOf, UsageError } from '../src/errors.js';
import type { ErrorCode } from '../src/errors.js';
import { InterruptedError } from '../src/util/interrupt.js';

const USAGE_CODES: ErrorCode[] = [
  'DEVENV_USAGE',
  'DEVENV_CONFIG_INVALID',
  'DEVENV_CONFIG_NOT_FOUND',
  'DEVENV_FILE_EXISTS',
];
const FAILURE_CODES: ErrorCode[] = [
  'DEVENV_RUNTIME_MISSING',
  'DEVENV_DAEMON_DOWN',
  'DEVENV_PERMISSION_DENIED',
  'DEVENV_NOT_FOUND',
  'DEVENV_BUSY',
  'DEVENV_ABORTED',
  'DEVENV_NO_SPACE',
  'DEVENV_STORE',
];

describe('exit status', () => {
  it.each(USAGE_CODES)('%s is a usage or config error: 2, also in exec and run', (code) => {
    const error = new DevenvError(code, 'x');
    expect(error.exitCode).toBe(2);
    expect(exitStatusOf(error)).toBe(2);
    expect(exitStatusOf(error, 125)).toBe(2);
  });

  it.each(FAILURE_CODES)(
    "%s is devenv's own failure: 1, or 125 where the status is the command's",
    (code) => {
      const error = new DevenvError(code, 'x');
      expect(exitStatusOf(error)).toBe(1);
      expect(exitStatusOf(error, 125)).toBe(125);
    },
  );

  it('the subclasses keep the status of their code', () => {
    expect(exitStatusOf(new UsageError('x'), 125)).toBe(2);
    expect(exitStatusOf(new ConfigError([], 'devenv.yml'), 125)).toBe(2);
  });

  it('an interruption exits as the shell reports the signal, in every command', () => {
    expect(exitStatusOf(new InterruptedError('SIGINT'), 125)).toBe(130);
    expect(exitStatusOf(new InterruptedError('SIGTERM'))).toBe(143);
  });

  it('a bug stays a bug and fails like any failure of devenv', () => {
    expect(exitStatusOf(new TypeError('x'))).toBe(1);
    expect(exitStatusOf(new TypeError('x'), 125)).toBe(125);
  });
});
