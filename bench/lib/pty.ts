/**
 * Programs run on a pseudo-terminal, for what only a terminal shows: when a full-screen program
 * paints, and what it costs while it sits there. `script` (util-linux) gives the program a pty of
 * the size asked for and copies everything written to it to our pipe as it comes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Single-quotes `word` for sh. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A program running on a pty; `output` is everything it wrote so far. */
export interface PtyProgram {
  child: ChildProcess;
  /** When it was spawned (performance.now()). */
  spawnedAt: number;
  output: () => string;
  /** Milliseconds from the spawn to the first time `text` appeared in its output. */
  waitForText: (text: string, timeoutMs: number) => Promise<number>;
  /** Ends it: `q` first, as a person would, then SIGKILL to the whole group. */
  stop: () => Promise<void>;
}

/**
 * Starts `argv` on a `cols`×`rows` pty. The size is set by `stty` in the shell `script` starts,
 * which then `exec`s the program: the same two extra processes for every program measured.
 */
export function startOnPty(
  argv: readonly string[],
  env: Record<string, string>,
  size: { cols: number; rows: number } = { cols: 120, rows: 40 },
): PtyProgram {
  const command = `stty cols ${size.cols} rows ${size.rows} && exec ${argv.map(shellWord).join(' ')}`;
  const spawnedAt = performance.now();
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env,
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  // A program that has exited already (a command, not a TUI) closed the pipe `q` goes to.
  child.stdin.on('error', () => undefined);
  let text = '';
  const waiters: { text: string; resolve: (ms: number) => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    const now = performance.now();
    for (const waiter of waiters.splice(0)) {
      if (text.includes(waiter.text)) waiter.resolve(now - spawnedAt);
      else waiters.push(waiter);
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
  return {
    child,
    spawnedAt,
    output: () => text,
    waitForText: (wanted, timeoutMs) =>
      new Promise((resolve, reject) => {
        if (text.includes(wanted)) {
          resolve(performance.now() - spawnedAt);
          return;
        }
        const timer = setTimeout(() => {
          reject(
            new Error(
              `"${wanted}" did not appear within ${timeoutMs} ms; the screen held: ${text.slice(-400)}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          text: wanted,
          resolve: (ms) => {
            clearTimeout(timer);
            resolve(ms);
          },
        });
      }),
    stop: async () => {
      child.stdin.write('q');
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => {
          resolve('timeout');
        }, 3_000),
      );
      if ((await Promise.race([exited, timeout])) === 'timeout' && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
        await exited;
      }
    },
  };
}

/** The pids of `pid`'s children (all threads' children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((word) => word !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/**
 * CPU time used so far by `pid` and the children it has waited for (utime + stime + cutime +
 * cstime, fields 14–17 of /proc/PID/stat), in clock ticks; 0 once it is gone.
 */
export function cpuTicks(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields from 3 on follow the parenthesised command name: field 14 is index 11.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
}
