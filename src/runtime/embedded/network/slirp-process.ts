/**
 * One slirp4netns process serving one network namespace. It is a child of the process that starts
 * it (the container's monitor) and is tied to it twice: `--exit-fd` is a socket whose other end
 * only that process holds, so when it dies, even by SIGKILL, the kernel closes that end and
 * slirp4netns exits; and `--ready-fd` tells it when the namespace's `tap0` is configured and the API
 * socket listens, so nothing is forwarded before it can be.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';

/** What slirp4netns is started with. */
export interface SlirpOptions {
  /** Absolute path of the slirp4netns binary. */
  binary: string;
  /** Host pid of a process in the network namespace. */
  pid: number;
  /** The API socket's path, relative to `cwd`. */
  apiSocket: string;
  /** slirp4netns's working directory. */
  cwd: string;
  hostLoopback: boolean;
  /** How long to wait for readiness. */
  readyTimeoutMs: number;
}

/** A running slirp4netns. */
export interface SlirpProcess {
  /** Resolves when it has exited, for whatever reason. */
  exited: Promise<void>;
  /** Ends it (SIGTERM, then SIGKILL) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** The largest MTU slirp4netns accepts below its 65521 cap, as rootless Podman uses: bulk transfers through it are several times faster than at 1500. */
const MTU = 65520;
const EXIT_FD = 3;
const READY_FD = 4;
const STOP_GRACE_MS = 5_000;
const STDERR_LIMIT = 4096;

/**
 * The command line. `--configure` brings up tap0 as 10.0.2.100/24 with gateway 10.0.2.2 and DNS
 * 10.0.2.3. `--enable-sandbox` runs slirp4netns in its own mount namespace with every capability
 * dropped except CAP_NET_BIND_SERVICE (so a forward of a host port below 1024 still works), and
 * `--enable-seccomp` limits its system calls: it parses packets from the container, so it is the
 * part of the network worth fencing in.
 */
export function slirpArgs(options: Pick<SlirpOptions, 'pid' | 'apiSocket' | 'hostLoopback'>): string[] {
  return [
    '--configure',
    `--mtu=${MTU}`,
    ...(options.hostLoopback ? [] : ['--disable-host-loopback']),
    `--api-socket=${options.apiSocket}`,
    `--exit-fd=${EXIT_FD}`,
    `--ready-fd=${READY_FD}`,
    '--enable-sandbox',
    '--enable-seccomp',
    String(options.pid),
    'tap0',
  ];
}

function failure(message: string, stderr: string, cause?: unknown): DevenvError {
  const tail = stderr.trim().split('\n').slice(-5).join('\n');
  return new DevenvError('DEVENV_RUNTIME_FAILED', `${message}${tail === '' ? '' : `:\n${tail}`}`, {
    hint: 'Check that the container is still running and that slirp4netns works here (devenv doctor).',
    cause,
  });
}

/** Resolves when `stream` delivers "1" (slirp4netns's ready mark); rejects on end or timeout. */
function readyMark(stream: Readable, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      stream.removeAllListeners();
      stream.on('error', () => undefined);
      if (error === undefined) resolve();
      else reject(error);
    };
    stream.on('data', (chunk: Buffer) => {
      if (chunk.includes('1')) settle();
    });
    stream.on('end', () => {
      settle(new Error('it exited before it was ready'));
    });
    stream.on('error', settle);
  });
}

/** Resolves when `child` has exited, or could not be started at all (then no 'exit' comes). */
function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
}

/**
 * Starts slirp4netns for the namespace of `options.pid` and resolves once it is ready. Rejects with
 * `DEVENV_RUNTIME_FAILED` and its stderr when it does not get ready, after stopping it.
 */
export async function startSlirp(options: SlirpOptions): Promise<SlirpProcess> {
  const child = childProcess().spawn(options.binary, slirpArgs(options), {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: {},
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_LIMIT);
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const exited = exitOf(child);
  // Our end of the exit socket: never written, closed only by stop() or by this process dying.
  const exitEnd = child.stdio[EXIT_FD] as Readable | null;
  exitEnd?.on('error', () => undefined);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      exitEnd?.destroy();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  try {
    await spawned;
    await readyMark(child.stdio[READY_FD] as Readable, options.readyTimeoutMs);
  } catch (error) {
    await stop();
    throw failure(
      `slirp4netns could not set up the private network of process ${options.pid} (${(error as Error).message})`,
      stderr,
      error,
    );
  }
  return { exited, stop };
}
