/**
 * Cross-process exclusive locks that the kernel releases when the holder dies. Node cannot call
 * flock(2) without a native addon, so a tiny util-linux `flock` child holds the lock for us: it
 * prints once it owns the lock and exits (releasing it) when our end of its stdin closes, which also
 * happens when this process is killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevenvError } from '../errors.js';

/** Who holds a lock, as recorded next to it. */
export interface LockHolder {
  pid: number;
  what: string;
}

/** A held lock; call release() (idempotent) when done. */
export interface Lock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Describes the holder for others ("devenv up"). */
  what: string;
  /** Wait for the holder (true) or fail at once with DEVENV_BUSY (false). */
  wait: boolean;
  /** Called once if we have to wait, with the current holder when known. */
  onWait?: (holder: LockHolder | undefined) => void;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const [pid, ...what] = (await readFile(`${file}.holder`, 'utf8')).trim().split(' ');
    return { pid: Number(pid), what: what.join(' ') };
  } catch {
    return undefined;
  }
}

function tryFlock(
  file: string,
  nonBlocking: boolean,
): Promise<{ acquired: true; release: () => Promise<void> } | { acquired: false }> {
  return new Promise((resolve, reject) => {
    const args = [
      '--exclusive',
      ...(nonBlocking ? ['--nonblock'] : []),
      file,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ];
    const child = spawn('flock', args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let settled = false;
    child.once('error', (error) => {
      settled = true;
      reject(
        new DevenvError('DEVENV_RUNTIME_MISSING', 'the flock command (util-linux) is missing', {
          cause: error,
        }),
      );
    });
    child.once('exit', () => {
      if (!settled) resolve({ acquired: false });
      settled = true;
    });
    child.stdout.once('data', () => {
      settled = true;
      const exited = new Promise<void>((r) =>
        child.once('exit', () => {
          r();
        }),
      );
      resolve({
        acquired: true,
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
  });
}

/** Acquires the lock `file` (created if missing). */
export async function acquireLock(file: string, options: LockOptions): Promise<Lock> {
  await mkdir(path.dirname(file), { recursive: true });
  let attempt = await tryFlock(file, true);
  if (!attempt.acquired) {
    const holder = await readHolder(file);
    if (!options.wait) {
      throw new DevenvError(
        'DEVENV_BUSY',
        `${path.basename(path.dirname(file))} is busy${holder === undefined ? '' : ` (pid ${holder.pid}: ${holder.what})`}`,
        {
          hint: 'wait for it to finish, then try again',
        },
      );
    }
    options.onWait?.(holder);
    attempt = await tryFlock(file, false);
    if (!attempt.acquired) throw new DevenvError('DEVENV_BUSY', `could not lock ${file}`);
  }
  await writeFile(`${file}.holder`, `${process.pid} ${options.what}\n`);
  let released = false;
  const { release } = attempt;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await release();
    },
  };
}

/** Runs `fn` while holding the lock. */
export async function withLock<T>(file: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
