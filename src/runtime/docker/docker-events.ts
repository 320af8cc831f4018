/**
 * Changes to devenv's containers from the engine's event stream: the Engine API's `/events` on the
 * local socket (engine-api/events.ts), else one long-running `docker events` child (Podman's CLI
 * answers the same command); either way filtered by the engine to
 * containers that carry devenv's name label, read line by line. When the stream ends (the daemon
 * restarted, the CLI died) it waits, reconnects from where it left off and asks for a full refresh,
 * since what happened in between may not be replayed.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS } from '../../plan/compile-plan.js';
import { childProcess } from '../../util/child-process.js';
import type { ContainerChangeSink } from '../runtime.js';
import { baseArgs, envFor } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';

/** How long to wait before reconnecting a stream that ended. */
export const RECONNECT_DELAY_MS = 2_000;

/**
 * Container actions that leave its state as it was: exec sessions, attaching, resizing a terminal,
 * copying files. `devenv exec` and `attach` cause them all the time; they need no refresh.
 */
const QUIET_ACTION =
  /^(exec|attach|detach|resize|top|copy|archive-path|extract-to-dir|export|commit|mount|unmount)/;

/** The `docker events` arguments: container events of devenv's containers only, one JSON per line. */
export function eventArgs(since: number | undefined): string[] {
  return [
    'events',
    '--format',
    '{{json .}}',
    '--filter',
    'type=container',
    '--filter',
    `label=${LABELS.name}`,
    ...(since === undefined ? [] : ['--since', String(since)]),
  ];
}

/**
 * The environment an event line is about: its name, `undefined` for an event of a devenv container
 * whose name cannot be read (refresh them all), or `null` for a line that changes nothing.
 * Docker puts the labels under `Actor.Attributes`, Podman under `Attributes`.
 */
export function changeOfEventLine(line: string): string | undefined | null {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return line.trim() === '' ? null : undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as {
    Type?: unknown;
    Action?: unknown;
    Status?: unknown;
    Actor?: { Attributes?: Record<string, unknown> };
    Attributes?: Record<string, unknown>;
  };
  if (typeof record.Type === 'string' && record.Type !== 'container') return null;
  const action = record.Action ?? record.Status;
  if (typeof action === 'string' && QUIET_ACTION.test(action)) return null;
  const name = (record.Actor?.Attributes ?? record.Attributes)?.[LABELS.name];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * One connection to the event stream: reports what it reads until the stream ends or `signal`
 * aborts, and resolves either way. `since` replays from that time (seconds since the epoch).
 */
export type EventStream = (
  since: number | undefined,
  signal: AbortSignal,
  onChange: ContainerChangeSink,
) => Promise<void>;

/** Runs one `docker events` child until it exits or `signal` aborts; resolves either way. */
function cliStreamOnce(
  target: DockerTarget,
  since: number | undefined,
  signal: AbortSignal,
  onChange: ContainerChangeSink,
): Promise<void> {
  return new Promise((resolve) => {
    const child = childProcess().spawn(target.binary, [...baseArgs(target), ...eventArgs(since)], {
      env: envFor(target),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const name = changeOfEventLine(line);
      if (name !== null) onChange(name);
    });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    // A missing CLI emits 'error' and may never emit 'close'.
    child.on('error', finish);
    child.on('close', finish);
  });
}

/**
 * Reports changes to devenv's containers on the engine of `target` until `signal` aborts. A stream
 * that ends is restarted after `reconnectDelayMs`, replaying events since the moment it ended, and
 * followed by one full refresh (`onChange(undefined)`).
 */
export async function watchDockerChanges(
  target: DockerTarget,
  signal: AbortSignal,
  onChange: ContainerChangeSink,
  reconnectDelayMs = RECONNECT_DELAY_MS,
  stream: EventStream = (since, abort, sink) => cliStreamOnce(target, since, abort, sink),
): Promise<void> {
  let since: number | undefined;
  while (!signal.aborted) {
    if (since !== undefined) onChange(undefined);
    await stream(since, signal, onChange);
    since = Math.floor(Date.now() / 1000);
    await sleep(reconnectDelayMs, undefined, { signal }).catch(() => undefined);
  }
}
