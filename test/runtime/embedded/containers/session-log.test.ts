import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SessionLog,
  lastLines,
  readSessionLog,
} from '../../../../src/runtime/embedded/containers/session-log.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { scratch } from './helpers/sessions.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});

afterEach(async () => {
  await cleanup();
});

function sink(): { output: PassThrough; text: () => string } {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { output, text: () => text };
}

async function read(options: { tail?: number } = {}): Promise<string> {
  const { output, text } = sink();
  await readSessionLog(dir, { ...options, follow: false, output, running: () => Promise.resolve(false) });
  return text();
}

/** `count` numbered lines, `line-<first>` on, each 8 bytes. */
function lines(first: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `line-${String(first + i).padStart(2, '0')}\n`).join('');
}

describe('SessionLog', () => {
  it('rotates at the cap, replacing the older file, so at most two caps stay on disk', async () => {
    const log = await SessionLog.open(dir, { capBytes: 32 });
    // 8 lines of 8 bytes: exactly two files' worth.
    for (const line of lines(0, 8).match(/.*\n/g) ?? []) log.append(Buffer.from(line));
    await log.close();
    expect(await readFile(path.join(dir, 'session.log.1'), 'utf8')).toBe(lines(0, 4));
    expect(await readFile(path.join(dir, 'session.log'), 'utf8')).toBe(lines(4, 4));

    const more = await SessionLog.open(dir, { capBytes: 32 });
    more.append(Buffer.from(lines(8, 6)));
    await more.close();
    expect(await readFile(path.join(dir, 'session.log.1'), 'utf8')).toBe(lines(8, 4));
    expect(await readFile(path.join(dir, 'session.log'), 'utf8')).toBe(lines(12, 2));
    expect((await readdir(dir)).sort()).toEqual(['session.log', 'session.log.1']);
    for (const name of ['session.log', 'session.log.1']) {
      expect((await stat(path.join(dir, name))).mode & 0o777).toBe(0o600);
    }
  });

  it('goes on after what an earlier start wrote', async () => {
    await writeFile(path.join(dir, 'session.log'), 'first start\n');
    const log = await SessionLog.open(dir);
    log.append(Buffer.from('second start\n'));
    await log.close();
    expect(await read()).toBe('first start\nsecond start\n');
  });

  it('reports a write that failed when closed, after the session went on', async () => {
    const log = await SessionLog.open(dir, { capBytes: 8 });
    // A folder where the rotated file goes makes the rotation fail.
    await mkdir(path.join(dir, 'session.log.1', 'in-the-way'), { recursive: true });
    log.append(Buffer.from('12345678'));
    log.append(Buffer.from('9'));
    await expect(log.close()).rejects.toThrow(/session\.log/);
  });
});

describe('readSessionLog', () => {
  it('prints nothing, without an error, when there is no log', async () => {
    expect(await read()).toBe('');
    expect(await read({ tail: 5 })).toBe('');
  });

  it('prints both files in order, and the last lines across the rotation', async () => {
    const log = await SessionLog.open(dir, { capBytes: 40 });
    log.append(Buffer.from(lines(0, 7)));
    await log.close();
    expect(await readFile(path.join(dir, 'session.log'), 'utf8')).toBe(lines(5, 2));
    expect(await read()).toBe(lines(0, 7));
    expect(await read({ tail: 3 })).toBe(lines(4, 3));
    expect(await read({ tail: 100 })).toBe(lines(0, 7));
    expect(await read({ tail: 0 })).toBe('');
  });

  it('counts a last line without a newline as a line', () => {
    expect(lastLines(Buffer.from('a\nb\nc'), 2).toString()).toBe('b\nc');
    expect(lastLines(Buffer.from('a\nb\nc\n'), 1).toString()).toBe('c\n');
    expect(lastLines(Buffer.from('\n\n'), 1).toString()).toBe('\n');
  });

  it('follows what is appended, across rotations, and ends once the container stopped', async () => {
    const log = await SessionLog.open(dir, { capBytes: 16 });
    log.append(Buffer.from(lines(0, 3)));
    await log.flush();
    let running = true;
    const { output, text } = sink();
    const following = readSessionLog(dir, {
      tail: 1,
      follow: true,
      output,
      running: () => Promise.resolve(running),
    });
    await waitFor(() => text() === lines(2, 1), 'the last line first');
    // Enough to rotate several times while the reader follows, some of it between two looks.
    for (let i = 3; i < 12; i += 1) {
      log.append(Buffer.from(lines(i, 1)));
      if (i % 3 === 0) await waitFor(() => text().endsWith(lines(i, 1)), `line ${i}`);
    }
    await waitFor(() => text().endsWith(lines(11, 1)), 'line 11');
    let ended = false;
    void following.then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ended).toBe(false);
    // What the session printed just before it ended still reaches the reader.
    log.append(Buffer.from('last words\n'));
    await log.close();
    running = false;
    await following;
    expect(text()).toBe(lines(2, 10) + 'last words\n');
  });

  it('prints a whole file that was rotated in and out between two looks', async () => {
    const log = await SessionLog.open(dir, { capBytes: 16 });
    let running = true;
    const { output, text } = sink();
    const following = readSessionLog(dir, { follow: true, output, running: () => Promise.resolve(running) });
    log.append(Buffer.from(lines(0, 1)));
    await waitFor(() => text() === lines(0, 1), 'the first line');
    // Two rotations at once: the follower's file fills up, the next fills up too, a third begins.
    log.append(Buffer.from(lines(1, 5)));
    await log.close();
    running = false;
    await following;
    expect(text()).toBe(lines(0, 6));
  });

  it('waits for a log that does not exist yet, and stops when aborted', async () => {
    const controller = new AbortController();
    const { output, text } = sink();
    const following = readSessionLog(dir, {
      follow: true,
      output,
      signal: controller.signal,
      running: () => Promise.resolve(true),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = await SessionLog.open(dir);
    log.append(Buffer.from('hello\n'));
    await log.close();
    await waitFor(() => text() === 'hello\n', 'the new log');
    controller.abort();
    await following;
  });
});
