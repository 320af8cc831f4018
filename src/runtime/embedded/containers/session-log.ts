/**
 * The log of a container's main session that `devenv logs` prints: `session.log` in the container
 * folder, rotated to `session.log.1` at a size cap so that at most about two caps are ever on disk
 * (docs/embedded-runtime.md#attach-and-logs).
 */
import { constants as fsConstants } from 'node:fs';
import { open, rename, stat } from '../../../util/fs-async.js';
import type { FileHandle } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import type { Writable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { isNoSpace } from '../../../util/no-space.js';

/** The size at which the log starts a new file, unless told otherwise. */
export const DEFAULT_LOG_CAP_BYTES = 1024 * 1024;

const CURRENT = 'session.log';
const PREVIOUS = 'session.log.1';

/** How often a follower looks for new output. */
const FOLLOW_POLL_MS = 200;

/**
 * Appends the session's output to `session.log`, in order, without ever making the session wait:
 * writes are queued and done one at a time. A write that fails (a full disk, say) stops the log, not
 * the session; {@link SessionLog.close} then reports it.
 */
export class SessionLog {
  private queue = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly dir: string,
    private readonly capBytes: number,
    private handle: FileHandle,
    private size: number,
  ) {}

  /** Opens the log of the container folder `dir`, going on after what an earlier start wrote. */
  static async open(dir: string, options: { capBytes?: number } = {}): Promise<SessionLog> {
    const capBytes = options.capBytes ?? DEFAULT_LOG_CAP_BYTES;
    if (!(capBytes > 0)) throw new RangeError(`session log cap must be positive, got ${capBytes}`);
    // A session log holds whatever was typed and printed in the container, so it is the owner's only.
    const handle = await open(path.join(dir, CURRENT), 'a', 0o600);
    const { size } = await handle.stat();
    return new SessionLog(dir, capBytes, handle, size);
  }

  /** Queues `chunk` for the log. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queue = this.queue.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.write(chunk);
      } catch (error) {
        this.failure = logFailure(error, path.join(this.dir, CURRENT));
      }
    });
  }

  /** Resolves once everything appended so far is written (or the log has stopped). */
  async flush(): Promise<void> {
    await this.queue;
  }

  /** Writes what is queued and closes the file; rejects with the first write that failed. */
  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
    if (this.failure !== undefined) throw this.failure;
  }

  private async write(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.size >= this.capBytes) await this.rotate();
      const part = rest.subarray(0, this.capBytes - this.size);
      await this.handle.write(part);
      this.size += part.length;
      rest = rest.subarray(part.length);
    }
  }

  /**
   * Moves the full file aside, replacing the older one, and starts an empty one. A reader that has
   * the old file open keeps reading it to its end, then finds the new one (see readSessionLog).
   */
  private async rotate(): Promise<void> {
    await this.handle.close();
    await rename(path.join(this.dir, CURRENT), path.join(this.dir, PREVIOUS));
    this.handle = await open(path.join(this.dir, CURRENT), 'a', 0o600);
    this.size = 0;
  }
}

function logFailure(error: unknown, file: string): Error {
  if (isNoSpace(error)) {
    return new DevenvError('DEVENV_NO_SPACE', `the session log ${file} stopped: the disk is full`, {
      hint: 'Free some space; the session kept running, but its output since then is not in `devenv logs`.',
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Prints the session log of container folder `dir` to `output`: the last `tail` lines (all when
 * undefined) over the rotated file and the current one. With `follow` it then keeps printing what is
 * appended, across rotations, until `running()` says the container stopped and the rest is out, as
 * `docker logs -f` ends when the container stops, or until `signal` aborts. No log yet is no output.
 */
export async function readSessionLog(
  dir: string,
  options: {
    tail?: number | undefined;
    follow: boolean;
    output: Writable;
    signal?: AbortSignal | undefined;
    running: () => Promise<boolean>;
  },
): Promise<void> {
  const { output } = options;
  const snapshot = await openBoth(dir);
  try {
    const previous = snapshot.previous === undefined ? Buffer.alloc(0) : await readFrom(snapshot.previous, 0);
    const current = snapshot.current === undefined ? Buffer.alloc(0) : await readFrom(snapshot.current, 0);
    const all = Buffer.concat([previous, current]);
    await emit(output, options.tail === undefined ? all : lastLines(all, options.tail));
    if (!options.follow) return;
    const handle = snapshot.current;
    snapshot.current = undefined;
    await follow(dir, handle, current.length, options);
  } finally {
    await snapshot.previous?.close();
    await snapshot.current?.close();
  }
}

interface OpenLog {
  previous: FileHandle | undefined;
  current: FileHandle | undefined;
}

/**
 * Both files as one consistent pair. Opening the older one first and checking afterwards that it
 * is still the file under `.1` rules out a rotation between the two opens, which would show the
 * same output twice or skip a file.
 */
async function openBoth(dir: string): Promise<OpenLog> {
  for (;;) {
    const previous = await openIfExists(path.join(dir, PREVIOUS));
    const current = await openIfExists(path.join(dir, CURRENT));
    const now = await inodeOf(path.join(dir, PREVIOUS));
    const then = previous === undefined ? undefined : (await previous.stat()).ino;
    if (now === then) return { previous, current };
    await previous?.close();
    await current?.close();
  }
}

/**
 * Prints what is appended to the open `current` file from `offset` on. A rotation renames that file
 * away: the follower reads it to its end (the handle still works), prints a whole file it missed
 * when the log rotated twice between two looks, then goes on with the new file.
 */
async function follow(
  dir: string,
  start: FileHandle | undefined,
  offset: number,
  options: { output: Writable; signal?: AbortSignal | undefined; running: () => Promise<boolean> },
): Promise<void> {
  let handle = start;
  let position = offset;
  try {
    for (;;) {
      if (options.signal?.aborted === true) return;
      // Asked before reading, so that everything written before the container stopped is printed.
      const alive = await options.running();
      for (;;) {
        if (handle !== undefined) {
          const fresh = await readFrom(handle, position);
          position += fresh.length;
          await emit(options.output, fresh);
        }
        const onDisk = await inodeOf(path.join(dir, CURRENT));
        const ours = handle === undefined ? undefined : (await handle.stat()).ino;
        if (onDisk === ours) break;
        if (handle !== undefined) {
          // The writer closed the file before renaming it, so this read gets the last of it.
          const last = await readFrom(handle, position);
          await emit(options.output, last);
          const previous = await inodeOf(path.join(dir, PREVIOUS));
          if (previous !== undefined && previous !== ours) {
            const missed = await openIfExists(path.join(dir, PREVIOUS));
            if (missed !== undefined) {
              try {
                await emit(options.output, await readFrom(missed, 0));
              } finally {
                await missed.close();
              }
            }
          }
          await handle.close();
        }
        handle = await openIfExists(path.join(dir, CURRENT));
        position = 0;
      }
      if (!alive) return;
      await sleep(FOLLOW_POLL_MS, options.signal);
    }
  } finally {
    await handle?.close();
  }
}

/** The bytes after the start of the last `count` lines; a final line without a newline counts. */
export function lastLines(data: Buffer, count: number): Buffer {
  if (count <= 0) return Buffer.alloc(0);
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end -= 1;
  let seen = 0;
  for (let i = end - 1; i >= 0; i -= 1) {
    if (data[i] === 0x0a) {
      seen += 1;
      if (seen === count) return data.subarray(i + 1);
    }
  }
  return data;
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, fsConstants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function inodeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).ino;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Everything in `handle` from `position` to its current end. */
async function readFrom(handle: FileHandle, position: number): Promise<Buffer> {
  const { size } = await handle.stat();
  if (size <= position) return Buffer.alloc(0);
  const buffer = Buffer.alloc(size - position);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Writes `data`, waiting when `output` asks to (a slow pipe must not make the log grow in memory). */
async function emit(output: Writable, data: Buffer): Promise<void> {
  if (data.length === 0) return;
  if (output.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      output.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      output.off('drain', onDrain);
      reject(error);
    };
    output.once('drain', onDrain);
    output.once('error', onError);
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
