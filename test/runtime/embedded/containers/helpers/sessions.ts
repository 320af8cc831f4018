/**
 * Main sessions for attach tests: one over a real pty made by util-linux `script` (as the monitor
 * makes it), and one in memory for tests of the socket plumbing alone, whose output the test
 * produces itself. Plus stand-ins for a terminal (stdin with raw mode, stdout with a size) and a
 * scratch folder.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { MainSession } from '../../../../../src/runtime/embedded/containers/main-session.js';
import { removeTree } from '../../../../../src/util/remove-tree.js';

const run = promisify(execFile);

/** A session that can also be killed, for cleanup. */
export interface TestSession extends MainSession {
  /** Everything the session printed so far, as text. */
  output(): string;
  kill(): void;
}

/**
 * `command` run by `/bin/sh` on a new pty. `script`'s stdin stays open for the session's life: at
 * EOF it would send ^D to the program.
 */
export function scriptSession(command: string): TestSession {
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SHELL: '/bin/sh', TERM: 'dumb', PS1: '$ ' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const listeners = new Set<(chunk: Buffer) => void>();
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
    for (const listener of listeners) listener(chunk);
  });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal === null ? 0 : os.constants.signals[signal]));
    });
  });
  return {
    write: (data) => child.stdin.write(data),
    async resize(rows, cols) {
      // The program script started has the pty's slave as its stdin; stty sets the size there.
      // A resize can come (on attach) before script has started its program, or while its child
      // is between fork and exec and still has script's pipe as stdin: wait for the pty.
      const pid = child.pid ?? 0;
      let slave = '';
      for (let i = 0; i < 600 && !slave.startsWith('/dev/pts/'); i++) {
        const program =
          (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(' ')[0] ?? '';
        slave = program === '' ? '' : await readlink(`/proc/${program}/fd/0`).catch(() => '');
        if (!slave.startsWith('/dev/pts/')) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await run('stty', ['-F', slave, 'rows', String(rows), 'cols', String(cols)]);
    },
    onOutput(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    exited,
    output: () => printed,
    kill: () => child.kill('SIGKILL'),
  };
}

/** A session in memory: `emit` is its output, `typed` what reached it, `end` its exit. */
export function memorySession(): TestSession & {
  emit(chunk: Buffer | string): void;
  typed: Buffer[];
  sizes: { rows: number; cols: number }[];
  end(status: number): void;
} {
  const listeners = new Set<(chunk: Buffer) => void>();
  let end: (status: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (end = resolve));
  let printed = '';
  const typed: Buffer[] = [];
  const sizes: { rows: number; cols: number }[] = [];
  return {
    write: (data) => typed.push(data),
    resize: (rows, cols) => {
      sizes.push({ rows, cols });
      return Promise.resolve();
    },
    onOutput(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    exited,
    emit(chunk) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      printed += bytes.toString('utf8');
      for (const listener of listeners) listener(bytes);
    },
    typed,
    sizes,
    end: (status) => {
      end(status);
    },
    output: () => printed,
    kill: () => {
      end(137);
    },
  };
}

/** A terminal's stdin: a stream with `isTTY` and a `setRawMode` that records each call. */
export function fakeTtyStdin(): PassThrough & {
  isTTY: boolean;
  isRaw: boolean;
  rawCalls: boolean[];
  setRawMode(mode: boolean): void;
} {
  const stream = new PassThrough();
  const rawCalls: boolean[] = [];
  return Object.assign(stream, {
    isTTY: true,
    isRaw: false,
    rawCalls,
    setRawMode(this: { isRaw: boolean }, mode: boolean) {
      rawCalls.push(mode);
      this.isRaw = mode;
    },
  });
}

/** A terminal's stdout: collects what is written; `rows`/`columns` and a `resize` event. */
export function fakeTtyStdout(
  rows = 24,
  columns = 80,
): PassThrough & {
  isTTY: boolean;
  rows: number;
  columns: number;
  text(): string;
} {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return Object.assign(stream, { isTTY: true, rows, columns, text: () => text });
}

/** A scratch folder (0700, as the monitor's state folder) removed by `cleanup`. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-attach-test-'));
  return { dir, cleanup: () => removeTree(dir) };
}
