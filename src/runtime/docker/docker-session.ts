/**
 * Interactive sessions on Docker: attach to the main session, exec a command, run a one-off
 * container. The docker CLI gets the caller's terminal itself, so raw mode, resizing and the
 * ctrl-p ctrl-q detach keys work exactly as with plain docker.
 */
import { constants as osConstants } from 'node:os';
import { DevenvError, EXIT_RUNTIME_FAILED } from '../../errors.js';
import type { RunSpec } from '../../plan/types.js';
import { childProcess } from '../../util/child-process.js';
import type { AttachResult, RunOptions, Stdio } from '../runtime.js';
import { baseArgs, dockerMaybe, engineError, envFor } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';
import { parseContainers } from './inspect.js';
import { containerFlags, toExecArgs } from './run-args.js';

function stdioOf(stdio: Stdio): [Stdio['stdin'] | number, Stdio['stdout'], Stdio['stderr']] {
  return [stdio.stdinFd ?? stdio.stdin, stdio.stdout, stdio.stderr];
}

/**
 * Runs docker with the caller's terminal (or pipes) as its stdio and resolves with its exit status.
 * node's spawn hands the file descriptors straight to docker, so raw mode, resizing and the detach
 * keys behave exactly as with plain docker.
 */
function runInteractive(
  target: DockerTarget,
  args: string[],
  stdio: Stdio,
  env: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(target.binary, [...baseArgs(target), ...args], {
      env: envFor(target, env),
      stdio: stdioOf(stdio),
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        engineError(target, '', error) ??
          new DevenvError(
            'DEVENV_RUNTIME_FAILED',
            `${target.binary} ${args[0] ?? ''} failed: ${error.message}`,
            { cause: error },
          ),
      );
    });
    child.on('close', (code, signal) => {
      resolve(code ?? (signal === null ? EXIT_RUNTIME_FAILED : 128 + osConstants.signals[signal]));
    });
  });
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
  return runInteractive(target, args, stdio, { ...env });
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
  return runInteractive(target, args, stdio, spec.secretEnv);
}
