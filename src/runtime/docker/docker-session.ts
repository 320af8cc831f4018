/**
 * Interactive sessions on Docker: attach to the main session, exec a command, run a one-off
 * container. The docker CLI gets the caller's terminal itself, so raw mode, resizing and the
 * ctrl-p ctrl-q detach keys work exactly as with plain docker.
 */
import { DevenvError } from '../../errors.js';
import type { RunSpec } from '../../plan/types.js';
import type { AttachResult, RunOptions, Stdio } from '../runtime.js';
import { dockerMaybe, engineError, spawnDocker } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';
import { parseContainers } from './inspect.js';
import { containerFlags, toExecArgs } from './run-args.js';

/** docker's own status for "the docker command itself failed". */
export const DOCKER_FAILED = 125;

function stdioOf(stdio: Stdio): [Stdio['stdin'], Stdio['stdout'], Stdio['stderr']] {
  return [stdio.stdin, stdio.stdout, stdio.stderr];
}

async function runInteractive(
  target: DockerTarget,
  args: string[],
  stdio: Stdio,
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stderr: string }> {
  const child = spawnDocker(target, args, { stdio: stdioOf(stdio), extraEnv: env, buffer: false });
  const result = await child;
  if (result.failed && result.exitCode === undefined) {
    throw (
      engineError(target, '', result.cause ?? result) ??
      new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `${target.binary} ${args[0] ?? ''} failed: ${result.shortMessage ?? 'no exit status'}`,
        { cause: result },
      )
    );
  }
  return { exitCode: result.exitCode ?? DOCKER_FAILED, stderr: '' };
}

/**
 * Attaches to the main session. When `docker attach` returns, the container is either still running
 * (the user detached with ctrl-p ctrl-q) or has exited (its status is the session's status).
 */
export async function attach(target: DockerTarget, name: string, stdio: Stdio): Promise<AttachResult> {
  const args = ['attach', '--detach-keys', 'ctrl-p,ctrl-q', name];
  await runInteractive(target, args, stdio);
  const text = await dockerMaybe(target, ['container', 'inspect', name]);
  const state = text === undefined ? undefined : parseContainers(text)[0];
  if (state?.state === 'running') return { kind: 'detached' };
  return { kind: 'exited', status: state?.exitCode ?? 0 };
}

/** Runs a command in the running container; resolves with its exit status. */
export async function exec(
  target: DockerTarget,
  name: string,
  command: readonly string[],
  options: RunOptions,
  stdio: Stdio,
): Promise<number> {
  const env = options.env ?? {};
  const args = toExecArgs(name, command, {
    interactive: options.interactive,
    tty: options.tty,
    user: options.user,
    workdir: options.workdir,
    passEnv: Object.keys(env),
    detachKeys: 'ctrl-p,ctrl-q',
  });
  return (await runInteractive(target, args, stdio, { ...env })).exitCode;
}

/** Runs a throwaway container of the environment's image (`docker run --rm`) with the same settings. */
export async function runOnce(
  target: DockerTarget,
  spec: RunSpec,
  command: readonly string[],
  options: RunOptions,
  stdio: Stdio,
): Promise<number> {
  const flags = containerFlags({ ...spec, persist: false }, { mode: 'passthrough' }).filter(
    (_, i, all) => !(all[i] === '--tty' || all[i] === '--interactive'),
  );
  const args = ['run', ...flags];
  if (options.interactive) args.push('--interactive');
  if (options.tty) args.push('--tty');
  args.push(spec.image, ...command);
  return (await runInteractive(target, args, stdio, spec.secretEnv)).exitCode;
}
