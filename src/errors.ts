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

/**
 * Exit status for usage and configuration errors: something in the command line or a file to fix
 * (docs/architecture.md#error-model).
 */
export const EXIT_USAGE = 2;
/** Exit status for any other failure of devenv itself. */
export const EXIT_FAILURE = 1;
/**
 * Exit status of `exec`, `run` and an attached `up` when devenv or the runtime failed before or
 * instead of running the user's command, whose own status passes through otherwise; 125 is what
 * `docker run` and `docker exec` report for the same case.
 */
export const EXIT_RUNTIME_FAILED = 125;
/** Exit status of a command stopped by ctrl-c (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * The exit status of each code, and the only place one is chosen (README, "Exit status"). A `Record`
 * so that a new code does not compile until someone decides which kind of failure it is.
 */
const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  DEVENV_USAGE: EXIT_USAGE,
  DEVENV_CONFIG_INVALID: EXIT_USAGE,
  DEVENV_CONFIG_NOT_FOUND: EXIT_USAGE,
  DEVENV_FILE_EXISTS: EXIT_USAGE,
  DEVENV_RUNTIME_MISSING: EXIT_FAILURE,
  DEVENV_DAEMON_DOWN: EXIT_FAILURE,
  DEVENV_PERMISSION_DENIED: EXIT_FAILURE,
  DEVENV_RUNTIME_FAILED: EXIT_FAILURE,
  DEVENV_NOT_FOUND: EXIT_FAILURE,
  DEVENV_BUSY: EXIT_FAILURE,
  DEVENV_BUNDLE_INVALID: EXIT_FAILURE,
  DEVENV_REGISTRY: EXIT_FAILURE,
  DEVENV_STORE: EXIT_FAILURE,
  DEVENV_DIGEST_MISMATCH: EXIT_FAILURE,
  DEVENV_ARCHIVE_INVALID: EXIT_FAILURE,
  DEVENV_LIMIT: EXIT_FAILURE,
  DEVENV_NO_SPACE: EXIT_FAILURE,
  DEVENV_ABORTED: EXIT_FAILURE,
  DEVENV_INTERRUPTED: EXIT_INTERRUPTED,
  DEVENV_TIMEOUT: EXIT_FAILURE,
  DEVENV_UNSUPPORTED: EXIT_FAILURE,
};

export interface DevenvErrorOptions {
  /** What the user can do about it, printed on its own line. */
  hint?: string | undefined;
  cause?: unknown;
}

/**
 * A failure the user can fix. The message says what went wrong and where; the hint says what to do;
 * the exit status follows from the code.
 */
export class DevenvError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** The exit status for this error's code. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: DevenvErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'DevenvError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = EXIT_STATUS[code];
  }
}

/** Bad flags or arguments on the command line; exits 2. */
export class UsageError extends DevenvError {
  constructor(message: string, hint?: string) {
    super('DEVENV_USAGE', message, { hint });
    this.name = 'UsageError';
  }
}

/** True for errors devenv raised on purpose, as opposed to bugs. */
export function isDevenvError(error: unknown): error is DevenvError {
  return error instanceof DevenvError;
}

/**
 * The exit status for `error` reaching the command boundary. `failure` stands for devenv's own
 * failures (1, or 125 for commands whose status is the container's, as docker does); a bug is such a
 * failure too. Usage errors and interruptions keep their own status everywhere.
 */
export function exitStatusOf(error: unknown, failure: number = EXIT_FAILURE): number {
  if (!(error instanceof DevenvError)) return failure;
  return error.exitCode === EXIT_FAILURE ? failure : error.exitCode;
}
