/**
 * Streaming docker invocations (build output, pull/push progress, save/load pipes) through execa,
 * which the one-shot calls in docker-cli.ts do without. Loaded only by the code that streams.
 */
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import { interruption } from '../../util/interrupt.js';
import { callPolicy, DEFAULT_DOCKER_TIMEOUT_MS } from './call-policy.js';
import { baseArgs, DockerCommandError, engineError, envFor, timeoutError } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';

function policyOf(target: DockerTarget, args: readonly string[]): ReturnType<typeof callPolicy> {
  return callPolicy(args, target.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS);
}

/**
 * Starts docker without waiting, for streaming (build output, save, load, attach). The target's
 * interrupt kills it (SIGTERM, then SIGKILL after execa's grace period) when the call's policy says
 * it may; an interrupt that already happened throws instead of starting it.
 */
export function spawnDocker(
  target: DockerTarget,
  args: readonly string[],
  options: Options & { extraEnv?: Record<string, string | undefined> } = {},
): ResultPromise {
  const { extraEnv, ...rest } = options;
  const policy = policyOf(target, args);
  const signal = policy.cancellable ? target.signal : undefined;
  if (signal?.aborted === true) throw interruption(signal);
  return execa(target.binary, [...baseArgs(target), ...args], {
    env: envFor(target, extraEnv),
    extendEnv: false,
    reject: false,
    ...(signal === undefined ? {} : { cancelSignal: signal }),
    ...(policy.timeoutMs === undefined ? {} : { timeout: policy.timeoutMs }),
    ...rest,
  });
}

/** Converts the result of a streamed docker process into the classified error, if it failed. */
export function checkResult(
  target: DockerTarget,
  args: readonly string[],
  result: {
    exitCode?: number | undefined;
    stderr?: unknown;
    failed?: boolean;
    cause?: unknown;
    isCanceled?: boolean;
    timedOut?: boolean;
  },
): void {
  if (result.failed !== true && (result.exitCode ?? 0) === 0) return;
  if (result.isCanceled === true && target.signal !== undefined) throw interruption(target.signal);
  if (result.timedOut === true) throw timeoutError(target, args, policyOf(target, args).timeoutMs ?? 0);
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  throw (
    engineError(target, stderr, result.cause ?? result) ??
    new DockerCommandError(target, args, result.exitCode, stderr, result)
  );
}
