/**
 * Runs the docker (or podman) CLI and turns its failures into errors a user can act on: the CLI is
 * missing, the daemon is down, the socket refuses us, the engine did not answer in time, or a command
 * failed (with its command line, exit status and the tail of its stderr).
 */
import type { ChildProcess } from 'node:child_process';
import { DevenvError } from '../../errors.js';
import { childProcess } from '../../util/child-process.js';
import { interruption } from '../../util/interrupt.js';
import { callPolicy, commandName, DEFAULT_DOCKER_TIMEOUT_MS } from './call-policy.js';

/** How to reach the engine: which binary, which context, which environment. */
export interface DockerTarget {
  /** `docker` or `podman`. */
  binary: string;
  /** `--context NAME`, when given. */
  context?: string | undefined;
  /** Environment of the CLI process: DOCKER_HOST, DOCKER_CONFIG, proxy values for builds. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The command run's interrupt: it kills every cancellable call in flight (and fails those not yet
   * started), so the engine unwinds through its cleanups. Given once here rather than per call, so
   * the Runtime interface stays free of it. Interactive sessions ignore it: their terminal's ctrl-c
   * belongs to the container.
   */
  signal?: AbortSignal | undefined;
  /** The limit of a query in milliseconds (see call-policy.ts); 30 s unless given. */
  timeoutMs?: number | undefined;
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
  if (denied !== null) return socketDenied(denied[1] ?? 'the Docker socket', cause);
  const down = DAEMON_DOWN.exec(stderr);
  if (down !== null)
    return daemonDown(
      down[1] ?? down[2] ?? target.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock',
      cause,
    );
  return undefined;
}

/** The engine's socket refuses the caller (the CLI's stderr said so, or connect(2) gave EACCES). */
export function socketDenied(socket: string, cause?: unknown): DevenvError {
  return new DevenvError('DEVENV_PERMISSION_DENIED', `permission denied on the Docker socket ${socket}`, {
    hint: 'add yourself to the docker group (sudo usermod -aG docker "$USER", then log in again), use rootless Docker, or --runtime embedded',
    cause,
  });
}

/** Nothing answers at `socket` (`unix://…` or a remote address). */
export function daemonDown(socket: string, cause?: unknown): DevenvError {
  return new DevenvError('DEVENV_DAEMON_DOWN', `the Docker daemon is not running at ${socket}`, {
    hint: socket.startsWith('unix://')
      ? 'start it (sudo systemctl start docker, or run dockerd), or point DOCKER_HOST or --context at a running engine'
      : 'check that the remote engine is up and reachable, or fix DOCKER_HOST / --context',
    cause,
  });
}

/** `--context NAME` when one is set. */
export function baseArgs(target: DockerTarget): string[] {
  return target.context === undefined ? [] : ['--context', target.context];
}

/** The CLI environment plus extra variables. */
export function envFor(
  target: DockerTarget,
  extra: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  // The legacy builder prints a deprecation notice on every build; it is not the user's business.
  return { ...target.env, ...extra };
}

/** How long a killed call has to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 3_000;

/** A finished docker command; `stopped` says why devenv ended it, if it did. */
interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException | undefined;
  stopped?: 'timeout' | 'interrupt' | undefined;
}

/** Signals the child's whole process group: a wrapper script's own children go with it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs a command to completion with node's child_process. The one-shot docker calls (inspect, version,
 * start…) sit on every command's path; execa costs ~90 ms of module loading that these never need.
 * The child leads its own process group, so a timeout or an interrupt ends it and anything it
 * started: SIGTERM first, SIGKILL when it has not gone after a grace period.
 */
function runToEnd(
  binary: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  input: string | undefined,
  limits: { timeoutMs: number | undefined; signal: AbortSignal | undefined },
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = childProcess().spawn(binary, args, {
      env: env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    let stopped: Finished['stopped'];
    let grace: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'interrupt'): void => {
      if (stopped !== undefined) return;
      stopped = why;
      killGroup(child, 'SIGTERM');
      grace = setTimeout(() => {
        killGroup(child, 'SIGKILL');
      }, KILL_GRACE_MS);
    };
    const timer =
      limits.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stop('timeout');
          }, limits.timeoutMs);
    const onAbort = (): void => {
      stop('interrupt');
    };
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(grace);
      limits.signal?.removeEventListener('abort', onAbort);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8').replace(/\n$/, ''),
        stderr: Buffer.concat(err).toString('utf8'),
        error: spawnError,
        stopped,
      });
    });
  });
}

/** The error of a call that did not answer within its limit. */
export function timeoutError(target: DockerTarget, args: readonly string[], timeoutMs: number): DevenvError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  const where = target.context ?? target.env['DOCKER_HOST'];
  return new DevenvError(
    'DEVENV_TIMEOUT',
    `${target.binary} ${commandName(args)} did not answer within ${seconds} s${where === undefined || where === '' ? '' : ` (engine ${where})`}; devenv stopped it`,
    {
      hint: `is the engine hung or unreachable? "${target.binary} info" shows whether it answers; check DOCKER_HOST and --context, or set DEVENV_DOCKER_TIMEOUT=SECONDS for a slow engine`,
    },
  );
}

/**
 * Runs docker to completion and returns its stdout; throws a classified error on failure. The call's
 * limit and whether an interrupt cancels it come from {@link callPolicy}; `timeoutMs` overrides the
 * limit.
 */
export async function docker(
  target: DockerTarget,
  args: readonly string[],
  options: { input?: string | undefined; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<string> {
  const policy = callPolicy(args, target.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS);
  const signal = policy.cancellable ? target.signal : undefined;
  if (signal?.aborted === true) throw interruption(signal);
  const timeoutMs = options.timeoutMs ?? policy.timeoutMs;
  const result = await runToEnd(
    target.binary,
    [...baseArgs(target), ...args],
    envFor(target, options.env),
    options.input,
    { timeoutMs, signal },
  );
  if (result.stopped === 'interrupt' && signal !== undefined) throw interruption(signal);
  if (result.error === undefined && result.code === 0) return result.stdout;
  if (result.stopped === 'timeout' && timeoutMs !== undefined) throw timeoutError(target, args, timeoutMs);
  throw (
    engineError(target, result.stderr, result.error) ??
    new DockerCommandError(target, args, result.code ?? undefined, result.stderr, result.error)
  );
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
