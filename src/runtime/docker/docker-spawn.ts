/**
 * Streaming docker invocations (build output, pull/push progress, save/load pipes) through execa,
 * which the one-shot calls in docker-cli.ts do without. Loaded only by the code that streams.
 */
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import { baseArgs, DockerCommandError, engineError, envFor } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';

/** Starts docker without waiting, for streaming (build output, save, load, attach). */
export function spawnDocker(
  target: DockerTarget,
  args: readonly string[],
  options: Options & { extraEnv?: Record<string, string | undefined> } = {},
): ResultPromise {
  const { extraEnv, ...rest } = options;
  return execa(target.binary, [...baseArgs(target), ...args], {
    env: envFor(target, extraEnv),
    extendEnv: false,
    reject: false,
    ...rest,
  });
}

/** Converts the result of a streamed docker process into the classified error, if it failed. */
export function checkResult(
  target: DockerTarget,
  args: readonly string[],
  result: { exitCode?: number | undefined; stderr?: unknown; failed?: boolean; cause?: unknown },
): void {
  if (result.failed !== true && (result.exitCode ?? 0) === 0) return;
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  throw (
    engineError(target, stderr, result.cause ?? result) ??
    new DockerCommandError(target, args, result.exitCode, stderr, result)
  );
}
