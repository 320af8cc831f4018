/**
 * Cross-process exclusive locks held through util-linux flock(1).
 *
 * Why flock(1) and not a lock file with a pid or a heartbeat: Node 20 has no flock(2) and native
 * addons are out, but a flock taken by a helper process is released by the kernel the moment that
 * helper exits, and the helper exits as soon as our process dies (it waits on a pipe from us). A
 * SIGKILLed holder therefore never blocks anyone, there is no stale-lock guessing, no pid reuse to
 * get wrong and no "break the stale lock" race between two waiters (docs/reliability.md, rule 6,
 * K1, K6). The cost is one short-lived process per acquisition (a few milliseconds).
 *
 * The helper runs in its own session so a Ctrl-C aimed at devenv does not kill it (and silently drop
 * the lock) while devenv is still finishing its critical section.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevenvError } from '../errors.js';
import { interruption, throwIfInterrupted } from './interrupt.js';

/** A held lock. */
export interface Lock {
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
  /** True when the helper died while we held the lock (someone else may have taken it since). */
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
  /** Stops the wait (the user pressed ctrl-c): the helper is killed and the interruption thrown. */
  signal?: AbortSignal | undefined;
}

const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** Child stdio pipes are sockets with unref(); typed as plain streams, so reach it structurally. */
function unrefStream(stream: object): void {
  (stream as { unref?: () => void }).unref?.();
}

async function holderText(file: string): Promise<string> {
  const text = await readFile(`${file}.owner`, 'utf8').catch(() => '');
  return text.trim() === '' ? 'another devenv process' : text.trim();
}

/**
 * Takes the exclusive lock on `file` (created if missing), waiting up to `timeoutMs`. Throws
 * DEVENV_BUSY naming the holder on timeout.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  throwIfInterrupted(options.signal);
  const child = spawn('flock', ['--exclusive', file, 'sh', '-c', 'printf L; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const acquired = await new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      resolve(false);
    }, timeoutMs);
    const waiting = setTimeout(() => {
      if (options.onWait !== undefined) void holderText(file).then(options.onWait);
    }, 250);
    const { signal } = options;
    const onAbort = (): void => {
      done();
      child.kill('SIGKILL');
      if (signal !== undefined) reject(interruption(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      clearTimeout(waiting);
      signal?.removeEventListener('abort', onAbort);
    };
    child.stdout.once('data', () => {
      done();
      resolve(true);
    });
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
    child.once('exit', (code) => {
      done();
      reject(
        new DevenvError(
          'DEVENV_STORE',
          `could not lock ${file}: flock exited with ${code}: ${stderr.trim()}`,
        ),
      );
    });
  });
  if (!acquired) {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    throw new DevenvError('DEVENV_BUSY', `${file} is locked by ${await holderText(file)}`, {
      hint: 'Wait for the other devenv command to finish, then try again.',
    });
  }
  child.removeAllListeners('exit');
  let lost = false;
  let released = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  void exited.then(() => {
    lost = !released;
  });
  // Keep no event-loop reference: a process that forgets to release still exits (and so unlocks).
  child.unref();
  unrefStream(child.stdout);
  unrefStream(child.stdin);
  // If the helper died (the lock is lost), ending its stdin fails with EPIPE; `lost` already says so.
  child.stdin.on('error', () => undefined);
  await mkdir(path.dirname(file), { recursive: true }).catch(() => undefined);
  await writeFile(
    `${file}.owner`,
    `pid ${process.pid}${options.purpose === undefined ? '' : ` (${options.purpose})`} since ${new Date().toISOString()}\n`,
  ).catch(() => undefined);
  return {
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      // Ref again so the process waits for the helper's exit instead of ending mid-release.
      child.ref();
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * Runs `action` holding the lock on `file`. Re-entrant within one async call chain, so a helper that
 * locks may be called from code that already holds the same lock.
 */
export async function withLock<T>(file: string, options: LockOptions, action: () => Promise<T>): Promise<T> {
  const current = held.getStore();
  if (current?.has(file) === true) return action();
  const lock = await acquireLock(file, options);
  try {
    return await held.run(new Set([...(current ?? []), file]), action);
  } finally {
    await lock.release();
  }
}
