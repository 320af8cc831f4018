/**
 * Cross-process exclusive locks: a flock(2) on an open file description of this very process.
 *
 * Why flock and not a lock file with a pid or a heartbeat: a flock belongs to the open file, and the
 * kernel drops it the moment the last descriptor of that file closes, which a dying process does
 * whatever killed it. A SIGKILLed holder therefore never blocks anyone, there is no stale-lock
 * guessing, no pid reuse to get wrong and no "break the stale lock" race between two waiters
 * (docs/reliability.md, rule 6, K1, K6).
 *
 * Node 20 has no flock(2) and native addons are out, so the lock is taken by util-linux flock(1).
 * A lock that is free is taken by the process's one lock helper (lock-helper.ts: a shell that holds
 * it on a descriptor of its own and goes, with its locks, when our pipe closes), so a command that
 * takes many locks forks devenv once, not once per lock. A lock that is busy (or that the helper
 * cannot take) is waited for the slow way: flock(1) on a descriptor we open and hand it as fd 3
 * locks the file description it shares with us and exits, and the lock stays with our descriptor
 * until {@link Lock.release} closes it. Either way the descriptor is close-on-exec here (libuv opens
 * every file so, and the helper's are its own), so no child we start later keeps a lock after we
 * release it.
 *
 * The flock(1) process runs in its own session so a Ctrl-C aimed at devenv does not end the wait
 * with a confusing "flock exited" instead of the interruption devenv reports itself.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile, writeFile } from './fs-async.js';
import { DevenvError } from '../errors.js';
import { childProcess } from './child-process.js';
import { interruption, throwIfInterrupted } from './interrupt.js';
import { tryLockWithHelper } from './lock-helper.js';

/** A held lock. */
export interface Lock {
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
  /**
   * True when the lock was lost while held (someone else may have taken it since). A lock held by
   * our own descriptor is only lost with the process, so this stays false; kept for callers that check.
   */
  readonly lost: boolean;
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** How long to wait before failing with DEVENV_BUSY; default 120 s. */
  timeoutMs?: number;
  /** What the holder does, recorded for the "busy" message of whoever waits. */
  purpose?: string;
  /** Called once if the lock is not free at once, with a description of the holder. */
  onWait?: (holder: string) => void;
  /** Stops the wait (the user pressed ctrl-c): the waiting flock(1) is killed and the interruption thrown. */
  signal?: AbortSignal | undefined;
}

/**
 * The locks this async call chain holds, for {@link withLock}'s re-entrancy. Node 20's
 * AsyncLocalStorage turns on V8's promise hooks at its first `run`, and they stay on: every promise
 * the process makes after that (a pull's streams and fetches make hundreds of thousands) runs a hook.
 * So the storage is disabled again each time no {@link withLock} action is in flight; the next `run`
 * enables it. Nothing is lost by that: with no action in flight, no chain holds a lock.
 */
const held = new AsyncLocalStorage<ReadonlySet<string>>();
let actionsInFlight = 0;

async function holderText(file: string): Promise<string> {
  const text = await readFile(`${file}.owner`, 'utf8').catch(() => '');
  return text.trim() === '' ? 'another devenv process' : text.trim();
}

/** Opens (creating) the lock file read-only, as flock(1) itself would. */
function openLockFile(file: string): number {
  try {
    return openSync(file, constants.O_RDONLY | constants.O_CREAT | constants.O_NOCTTY, 0o666);
  } catch (error) {
    throw new DevenvError(
      'DEVENV_STORE',
      `could not open the lock file ${file}: ${(error as Error).message}`,
      {
        hint: 'Check that the folder exists and that you may write to it.',
        cause: error,
      },
    );
  }
}

/**
 * Takes the exclusive lock on `file` (created if missing), waiting up to `timeoutMs`. Throws
 * DEVENV_BUSY naming the holder on timeout.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  throwIfInterrupted(options.signal);
  const fd = openLockFile(file);
  const fast = await tryLockWithHelper(file).catch(() => undefined);
  if (fast !== undefined) {
    closeSync(fd);
    await writeOwner(file, options);
    return fast;
  }
  let acquired: boolean;
  try {
    acquired = await lockDescriptor(file, fd, timeoutMs, options);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!acquired) {
    closeSync(fd);
    throw new DevenvError('DEVENV_BUSY', `${file} is locked by ${await holderText(file)}`, {
      hint: 'Wait for the other devenv command to finish, then try again.',
    });
  }
  await writeOwner(file, options);
  let released = false;
  return {
    lost: false,
    release() {
      if (released) return Promise.resolve();
      released = true;
      closeSync(fd);
      return Promise.resolve();
    },
  };
}

/** Records who holds `file`'s lock, for the "busy" message of whoever waits. */
async function writeOwner(file: string, options: LockOptions): Promise<void> {
  await writeFile(
    `${file}.owner`,
    `pid ${process.pid}${options.purpose === undefined ? '' : ` (${options.purpose})`} since ${new Date().toISOString()}\n`,
  ).catch(() => undefined);
}

/** Runs `flock 3` on `fd`: true once the lock is ours, false after `timeoutMs`. */
function lockDescriptor(file: string, fd: number, timeoutMs: number, options: LockOptions): Promise<boolean> {
  const child = childProcess().spawn('flock', ['--exclusive', '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  };
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      kill();
      resolve(false);
    }, timeoutMs);
    const waiting = setTimeout(() => {
      if (options.onWait !== undefined) void holderText(file).then(options.onWait);
    }, 250);
    const { signal } = options;
    const onAbort = (): void => {
      done();
      kill();
      if (signal !== undefined) reject(interruption(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(waiting);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(
        error.code === 'ENOENT'
          ? new DevenvError(
              'DEVENV_RUNTIME_MISSING',
              'flock(1) was not found; the embedded runtime needs util-linux',
              {
                hint: 'Install util-linux (apt-get install util-linux).',
              },
            )
          : error,
      );
    });
    // 'close', not 'exit': stderr is complete for the message below.
    child.once('close', (code) => {
      done();
      if (code === 0) resolve(true);
      else
        reject(
          new DevenvError(
            'DEVENV_STORE',
            `could not lock ${file}: flock exited with ${code}: ${stderr.trim()}`,
          ),
        );
    });
  });
}

/**
 * Runs `action` holding the lock on `file`. Re-entrant within one async call chain, so a helper that
 * locks may be called from code that already holds the same lock.
 */
export async function withLock<T>(file: string, options: LockOptions, action: () => Promise<T>): Promise<T> {
  const current = held.getStore();
  if (current?.has(file) === true) return action();
  const lock = await acquireLock(file, options);
  actionsInFlight++;
  try {
    return await held.run(new Set([...(current ?? []), file]), action);
  } finally {
    if (--actionsInFlight === 0) held.disable();
    await lock.release();
  }
}
