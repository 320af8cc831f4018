/**
 * Runs store and archive operations in real child processes, for lock, crash and concurrency tests.
 * The child is child-main.ts as transpiled by the test run's global setup, loading the built dist/,
 * so children start in milliseconds and no test file compiles anything.
 */
import { execa } from 'execa';
import { childScript as compiledHelper } from '../../../../helpers/child-script.js';

/** The runnable child entry script. */
export function childScript(): string {
  return compiledHelper(new URL('./child-main.ts', import.meta.url));
}

/** How a child ended. */
export interface ChildResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** A started child: its stdout as it comes, and its result. */
export interface RunningChild {
  stdout: NodeJS.ReadableStream;
  done: Promise<ChildResult>;
}

/** Starts `child-main.js` with `args`; `failpoints` sets DEVENV_FAILPOINTS. `done` never rejects. */
export function startChild(
  args: readonly string[],
  options: { failpoints?: string; timeoutMs?: number } = {},
): RunningChild {
  const child = execa(process.execPath, [childScript(), ...args], {
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    env: { DEVENV_FAILPOINTS: options.failpoints ?? '' },
  });
  const done = child.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  }));
  return { stdout: child.stdout, done };
}

/** Runs `child-main.js` with `args` to the end. */
export async function runChild(
  args: readonly string[],
  options: { failpoints?: string; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return startChild(args, options).done;
}
