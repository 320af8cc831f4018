/**
 * Runs the docker (or podman) CLI through execa and turns its failures into errors a user can act on:
 * the CLI is missing, the daemon is down, the socket refuses us, or a command failed (with its
 * command line, exit status and the tail of its stderr).
 */
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import { DevenvError } from '../../errors.js';

/** How to reach the engine: which binary, which context, which environment. */
export interface DockerTarget {
  /** `docker` or `podman`. */
  binary: string;
  /** `--context NAME`, when given. */
  context?: string | undefined;
  /** Environment of the CLI process: DOCKER_HOST, DOCKER_CONFIG, proxy values for builds. */
  env: Readonly<Record<string, string | undefined>>;
}

/** A docker command that failed for a reason other than reaching the engine. */
export class DockerCommandError extends DevenvError {
  readonly args: readonly string[];
  readonly exitStatus: number | undefined;
  readonly stderr: string;

  constructor(
    target: DockerTarget,
    args: readonly string[],
    exitStatus: number | undefined,
    stderr: string,
    cause?: unknown,
  ) {
    const tail = stderr.trim().split('\n').slice(-6).join('\n');
    super(
      'DEVENV_RUNTIME_FAILED',
      `${target.binary} ${args.slice(0, 2).join(' ')} failed${exitStatus === undefined ? '' : ` (exit status ${exitStatus})`}${tail === '' ? '' : `:\n${tail}`}`,
      { cause },
    );
    this.name = 'DockerCommandError';
    this.args = args;
    this.exitStatus = exitStatus;
    this.stderr = stderr;
  }
}

const DAEMON_DOWN =
  /Cannot connect to the Docker daemon at (\S+?)\.? Is the docker daemon running\?|cannot connect to Podman|error during connect: .*?(\S+:\/\/\S+)/i;
const PERMISSION = /permission denied while trying to connect to the Docker daemon socket at (\S+?):?\s/i;

/** Classifies a failed docker invocation; returns the user-facing error for engine problems. */
export function engineError(target: DockerTarget, stderr: string, cause?: unknown): DevenvError | undefined {
  const code = (cause as { code?: string } | undefined)?.code;
  if (code === 'ENOENT') {
    return new DevenvError('DEVENV_RUNTIME_MISSING', `the ${target.binary} CLI was not found on PATH`, {
      hint:
        target.binary === 'docker'
          ? 'install Docker (Debian: apt-get install docker.io), or use --runtime embedded'
          : 'install podman, or use --runtime docker or --runtime embedded',
      cause,
    });
  }
  const denied = PERMISSION.exec(stderr);
  if (denied !== null) {
    const socket = denied[1] ?? 'the Docker socket';
    return new DevenvError('DEVENV_PERMISSION_DENIED', `permission denied on the Docker socket ${socket}`, {
      hint: 'add yourself to the docker group (sudo usermod -aG docker "$USER", then log in again), use rootless Docker, or --runtime embedded',
      cause,
    });
  }
  const down = DAEMON_DOWN.exec(stderr);
  if (down !== null) {
    const socket = down[1] ?? down[2] ?? target.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
    return new DevenvError('DEVENV_DAEMON_DOWN', `the Docker daemon is not running at ${socket}`, {
      hint: socket.startsWith('unix://')
        ? 'start it (sudo systemctl start docker, or run dockerd), or point DOCKER_HOST or --context at a running engine'
        : 'check that the remote engine is up and reachable, or fix DOCKER_HOST / --context',
      cause,
    });
  }
  return undefined;
}

function baseArgs(target: DockerTarget): string[] {
  return target.context === undefined ? [] : ['--context', target.context];
}

function envFor(
  target: DockerTarget,
  extra: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  // The legacy builder prints a deprecation notice on every build; it is not the user's business.
  return { ...target.env, ...extra };
}

/** Runs docker to completion and returns its stdout; throws a classified error on failure. */
export async function docker(
  target: DockerTarget,
  args: readonly string[],
  options: { input?: string | undefined; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const result = await execa(target.binary, [...baseArgs(target), ...args], {
      env: envFor(target, options.env),
      extendEnv: false,
      input: options.input ?? '',
      timeout: options.timeoutMs,
      maxBuffer: 256 * 1024 * 1024,
      stripFinalNewline: true,
    });
    return result.stdout;
  } catch (error) {
    const raw = (error as { stderr?: unknown }).stderr;
    const stderr = typeof raw === 'string' ? raw : '';
    throw (
      engineError(target, stderr, error) ??
      new DockerCommandError(target, args, (error as { exitCode?: number }).exitCode, stderr, error)
    );
  }
}

/** Like {@link docker}, but returns undefined when the object does not exist ("No such …"). */
export async function dockerMaybe(
  target: DockerTarget,
  args: readonly string[],
): Promise<string | undefined> {
  try {
    return await docker(target, args);
  } catch (error) {
    if (
      error instanceof DockerCommandError &&
      /no such (image|container|object|volume)|not found|No such/i.test(error.stderr)
    )
      return undefined;
    throw error;
  }
}

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
