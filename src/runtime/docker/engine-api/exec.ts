/**
 * `devenv exec` on the Engine API, as `docker exec` does it: create the exec, start it on a
 * connection taken over for its streams (`Upgrade: tcp`), forward stdin and the terminal's size,
 * and read the command's status once its output has ended. Without a TTY the output is the
 * multiplexed stream (stream-frames.ts); with one it is the terminal's raw bytes.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DevenvError } from '../../../errors.js';
import { interruption } from '../../../util/interrupt.js';
import { boolean, nullish, number, object, parseShape, ShapeError, string } from '../../../util/shape.js';
import type { Check } from '../../../util/shape.js';
import type { RunOptions, Stdio } from '../../runtime.js';
import { holdTerminal } from '../../terminal-hold.js';
import { DEFAULT_DOCKER_TIMEOUT_MS } from '../call-policy.js';
import { segment } from './client.js';
import type { EngineApi } from './client.js';
import { StreamDemuxer } from './stream-frames.js';

/** Read the status again for this long while the engine still calls the exec running. */
const STATUS_SETTLE_MS = 2_000;
const STATUS_POLL_MS = 25;
/**
 * How long, and how far apart (growing to at most half a second), the first terminal size is sent
 * again until the engine takes it: Docker 20.10 waits ten seconds for the command to start before it
 * refuses a size, and on a loaded host starting one can take longer. The command may already be
 * running and waiting for its size, so give up only when the session ends or after this long.
 */
const RESIZE_RETRY_FOR_MS = 300_000;
const RESIZE_RETRY_MS = 50;
const RESIZE_RETRY_MAX_MS = 500;
/** The first API version whose exec create takes `ConsoleSize`. */
const CONSOLE_SIZE_API = '1.42';

const Created = object({ Id: string });
const ExecState = object({ Running: boolean, ExitCode: nullish(number) });

function checked<T>(api: EngineApi, check: Check<T>, value: unknown, what: string): T {
  try {
    return parseShape(check, value);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `unexpected ${what} from the Docker engine at ${api.host}: ${error.message}`,
      { hint: 'check `docker version` (devenv needs API 1.41 or newer)', cause: error },
    );
  }
}

/** Runs `command` in the running container `name`; resolves with its exit status. */
export async function execOverApi(
  api: EngineApi,
  name: string,
  command: readonly string[],
  options: RunOptions,
  stdio: Stdio,
): Promise<number> {
  const as = ['exec', name];
  const limit = api.target.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  // API 1.42 takes the terminal's size with the exec, so the command starts at the right size; on
  // 1.41 it is sent once the command runs, as the docker CLI does there.
  const { rows, columns } = stdio.stdout;
  const sized = options.tty && rows !== undefined && columns !== undefined && api.serves(CONSOLE_SIZE_API);
  const created = await api.call({
    method: 'POST',
    path: `/containers/${segment(name)}/exec`,
    as,
    timeoutMs: limit,
    minVersion: sized ? CONSOLE_SIZE_API : undefined,
    body: {
      ...(sized ? { ConsoleSize: [rows, columns] } : {}),
      AttachStdin: options.interactive,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
      DetachKeys: 'ctrl-p,ctrl-q',
      Cmd: command,
      // Sent in the request body, so values never show in a process list (the CLI takes names only).
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      ...(options.user === undefined ? {} : { User: options.user }),
      ...(options.workdir === undefined ? {} : { WorkingDir: options.workdir }),
    },
  });
  const id = checked(api, Created, created.body, 'exec create').Id;
  const { socket, head } = await api.upgrade({
    method: 'POST',
    path: `/exec/${segment(id)}/start`,
    as,
    timeoutMs: limit,
    body: { Detach: false, Tty: options.tty },
  });
  let ended = false;
  const resize = (first: boolean): void => {
    const { rows, columns } = stdio.stdout;
    if (!options.tty || rows === undefined || columns === undefined) return;
    const since = Date.now();
    const send = (attempt: number): Promise<void> =>
      api
        .call({
          method: 'POST',
          path: `/exec/${segment(id)}/resize?h=${rows}&w=${columns}`,
          as,
          timeoutMs: limit,
        })
        .then(
          () => undefined,
          // The first size can arrive before the command started; docker's CLI retries it the same way.
          // A later one that fails (the command already ended) changes nothing worth reporting.
          async () => {
            if (!first || ended || Date.now() - since > RESIZE_RETRY_FOR_MS) return;
            await sleep(Math.min(RESIZE_RETRY_MS * attempt, RESIZE_RETRY_MAX_MS));
            return send(attempt + 1);
          },
        );
    void send(1);
  };
  try {
    await pumpSession(socket, head, options, stdio, api.target.signal, resize);
  } finally {
    ended = true;
  }
  return exitStatus(api, id, as, limit);
}

/** The exec's status; the engine may take a moment to record it after the streams closed. */
async function exitStatus(api: EngineApi, id: string, as: string[], limit: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const answer = await api.call({ method: 'GET', path: `/exec/${segment(id)}/json`, as, timeoutMs: limit });
    const state = checked(api, ExecState, answer.body, 'exec inspect');
    // Still running after the streams closed: the user detached (ctrl-p ctrl-q); docker exec gives 0.
    if (!state.Running || Date.now() - started > STATUS_SETTLE_MS) return state.ExitCode ?? 0;
    await sleep(STATUS_POLL_MS);
  }
}

/**
 * Connects the caller's streams to the exec's socket until the engine closes it. A terminal on stdin
 * is put in raw mode (with a TTY) and given back as it was; the end of stdin half-closes the socket,
 * so the command sees its input end; every listener added to the caller's streams is removed again.
 * The command run's interrupt ends the session (the command itself goes on, as with `docker exec`).
 */
export async function pumpSession(
  socket: Socket,
  head: Buffer,
  options: Pick<RunOptions, 'tty' | 'interactive'>,
  stdio: Stdio,
  signal: AbortSignal | undefined,
  resize: (first: boolean) => void,
): Promise<void> {
  const { stdin, stdout, stderr } = stdio;
  const terminal = holdTerminal(stdin, options.tty);
  const { listen } = terminal;
  try {
    await new Promise<void>((resolve, reject) => {
      const demuxer = options.tty ? undefined : new StreamDemuxer();
      let waiting = 0;
      const onDrain = (): void => {
        waiting -= 1;
        if (waiting === 0) socket.resume();
      };
      const write = (target: Stdio['stdout'] | Stdio['stderr'], payload: Buffer): void => {
        // A terminal or pipe that cannot keep up slows the socket down rather than filling memory.
        if (!target.write(payload)) {
          waiting += 1;
          socket.pause();
          target.once('drain', onDrain);
          terminal.onRelease(() => target.off('drain', onDrain));
        }
      };
      listen(socket, 'data', (chunk: Buffer) => {
        if (demuxer === undefined) {
          write(stdout, chunk);
          return;
        }
        try {
          for (const frame of demuxer.push(chunk))
            write(frame.kind === 'stdout' ? stdout : stderr, frame.payload);
        } catch (error) {
          reject(
            new DevenvError('DEVENV_RUNTIME_FAILED', `docker exec failed: ${(error as Error).message}`, {
              hint: 'is DOCKER_HOST really a Docker engine? `docker version` shows what answers there',
            }),
          );
        }
      });
      listen(socket, 'end', () => {
        resolve();
      });
      listen(socket, 'close', () => {
        resolve();
      });
      // A connection that breaks ends the session; the status read next says what became of it.
      listen(socket, 'error', () => {
        resolve();
      });
      if (signal !== undefined) {
        const onAbort = (): void => {
          reject(interruption(signal));
        };
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        terminal.onRelease(() => {
          signal.removeEventListener('abort', onAbort);
        });
      }
      if (options.interactive) {
        listen(stdin, 'data', (chunk: Buffer | string) => {
          if (!socket.destroyed) socket.write(chunk);
        });
        listen(stdin, 'end', () => {
          if (!socket.destroyed) socket.end();
        });
        stdin.resume();
      }
      if (options.tty) {
        listen(stdout, 'resize', () => {
          resize(false);
        });
        resize(true);
      }
      if (head.length > 0) socket.emit('data', head);
    });
  } finally {
    terminal.release();
    socket.destroy();
  }
}
