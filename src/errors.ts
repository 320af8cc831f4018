/**
 * The two kinds of failure: a {@link DevenvError} is the user's to fix and prints without a stack;
 * anything else that reaches `cli.ts` is a bug in devenv and says so.
 */

/** Stable error codes; scripts may match on them in `--json` output. */
export type ErrorCode =
  | 'DEVENV_USAGE'
  | 'DEVENV_CONFIG_INVALID'
  | 'DEVENV_CONFIG_NOT_FOUND'
  | 'DEVENV_FILE_EXISTS'
  | 'DEVENV_RUNTIME_MISSING'
  | 'DEVENV_DAEMON_DOWN'
  | 'DEVENV_PERMISSION_DENIED'
  | 'DEVENV_RUNTIME_FAILED'
  | 'DEVENV_NOT_FOUND'
  | 'DEVENV_BUSY'
  | 'DEVENV_BUNDLE_INVALID'
  | 'DEVENV_REGISTRY'
  | 'DEVENV_STORE'
  | 'DEVENV_DIGEST_MISMATCH'
  | 'DEVENV_ARCHIVE_INVALID'
  | 'DEVENV_LIMIT'
  | 'DEVENV_NO_SPACE'
  | 'DEVENV_ABORTED'
  | 'DEVENV_INTERRUPTED'
  | 'DEVENV_TIMEOUT'
  | 'DEVENV_UNSUPPORTED';

/** Exit status for usage and configuration errors (DESIGN.md section 4). */
export const EXIT_USAGE = 2;
/** Exit status for any other failure of devenv itself. */
export const EXIT_FAILURE = 1;
/**
 * Exit status of `exec`, `run` and an attached `up` when devenv or the runtime failed before or
 * instead of running the user's command, whose own status passes through otherwise; 125 is what
 * `docker run` and `docker exec` report for the same case.
 */
export const EXIT_RUNTIME_FAILED = 125;

export interface DevenvErrorOptions {
  /** What the user can do about it, printed on its own line. */
  hint?: string | undefined;
  /** Exit status; {@link EXIT_FAILURE} unless given. */
  exitCode?: number | undefined;
  cause?: unknown;
}

/** A failure the user can fix. The message says what went wrong and where; the hint says what to do. */
export class DevenvError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: DevenvErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'DevenvError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** Bad flags or arguments on the command line; exits 2. */
export class UsageError extends DevenvError {
  constructor(message: string, hint?: string) {
    super('DEVENV_USAGE', message, { hint, exitCode: EXIT_USAGE });
    this.name = 'UsageError';
  }
}

/** True for errors devenv raised on purpose, as opposed to bugs. */
export function isDevenvError(error: unknown): error is DevenvError {
  return error instanceof DevenvError;
}

/** The same failure with another exit status (exec and run report devenv's own failures as 125). */
export function withExitCode(error: unknown, exitCode: number): DevenvError {
  if (error instanceof DevenvError)
    return new DevenvError(error.code, error.message, {
      hint: error.hint,
      exitCode,
      cause: error.cause ?? error,
    });
  const message = error instanceof Error ? error.message : String(error);
  return new DevenvError('DEVENV_RUNTIME_FAILED', message, { exitCode, cause: error });
}
