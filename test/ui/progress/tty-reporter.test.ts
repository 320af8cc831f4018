/**
 * The live terminal area against a fake terminal: a small screen model that applies what the
 * reporter writes (text, newlines, cursor up, clear to the end), a manual timer, and a fake clock.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/runtime/events.js';
import { PlainOutput } from '../../../src/ui/plain/output.js';
import { REDRAW_INTERVAL_MS, ttyReporter } from '../../../src/ui/progress/tty-reporter.js';

const ESC = String.fromCharCode(27);
const TOKENS = new RegExp(`${ESC}\\[\\d*[A-Z]|\\n|[^${ESC}\\n]+`, 'g');
const ESCAPE = new RegExp(`^${ESC}\\[(\\d*)([A-Z])$`);

/** A terminal `columns` wide: the screen as lines, and every write in order. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly writes: string[] = [];
  readonly screen: string[] = [];
  private row = 0;

  constructor(readonly columns: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.apply(chunk.toString());
    done();
  }

  /** Synchronous, so a test reads the screen right after an event. */
  override write(chunk: string | Uint8Array): boolean {
    const text = chunk.toString();
    this.writes.push(text);
    this.apply(text);
    return true;
  }

  private apply(text: string): void {
    for (const token of text.match(TOKENS) ?? []) {
      const escape = ESCAPE.exec(token);
      if (escape !== null) {
        const n = Number(escape[1] || '1');
        if (escape[2] === 'A') this.row = Math.max(0, this.row - n);
        else if (escape[2] === 'J') this.screen.length = this.row;
        else throw new Error(`unexpected escape ${token}`);
      } else if (token === '\n') {
        this.row++;
      } else {
        this.screen[this.row] = (this.screen[this.row] ?? '') + token;
      }
    }
  }
}

function setup(columns: number) {
  const terminal = new FakeTerminal(columns);
  const stdout = new FakeTerminal(columns);
  const out = new PlainOutput({ stdout, stderr: terminal }, false);
  let now = 0;
  const timers: { run: () => void; at: number }[] = [];
  const reporter = ttyReporter(out, {
    now: () => now,
    columns: () => terminal.columns,
    schedule: (run, ms) => {
      const timer = { run, at: now + ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  });
  /** Moves the clock to `to`, running the timers due on the way. */
  const advance = (to: number): void => {
    for (;;) {
      const due = timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      timers.splice(timers.indexOf(due), 1);
      now = Math.max(now, due.at);
      due.run();
    }
    now = to;
  };
  const send = (at: number, event: RuntimeEvent): void => {
    advance(at);
    reporter.onEvent(event);
  };
  return {
    terminal,
    out,
    reporter,
    send,
    advance,
    timers,
  };
}

const MB = 1_000_000;

describe('tty reporter', () => {
  it('draws the job, its step and its bytes below the lasting lines, none wider than the terminal', () => {
    const t = setup(40);
    t.send(0, { type: 'job:start', kind: 'build', label: 'devenv/a-long-project-name:latest' });
    t.send(10, { type: 'build:step', step: 2, total: 9, instruction: 'RUN apt-get install -y jq curl git' });
    t.send(20, { type: 'transfer:progress', id: 'l', phase: 'download', current: 0, total: 96 * MB });
    t.send(1020, { type: 'transfer:progress', id: 'l', phase: 'download', current: 41 * MB, total: 96 * MB });
    t.advance(1200);
    expect(t.terminal.screen[0]).toBe('step 2/9 RUN apt-get install -y jq curl git');
    expect(t.terminal.screen.slice(1)).toEqual([
      // Too narrow for the job's clock: the clock goes, the name stays whole.
      'build devenv/a-long-project-name:latest',
      expect.stringMatching(/^step 2\/9 RUN apt-get .*… {3}00:01$/),
      expect.stringMatching(/^build download 41\.0\/96\.0 MB/),
    ]);
    for (const line of t.terminal.screen.slice(1)) expect(line.length).toBeLessThan(40);
  });

  it('clears the area before a warning and draws it again after, below the warning', () => {
    const t = setup(80);
    t.send(0, { type: 'job:start', kind: 'pull', label: 'debian:12' });
    t.send(0, { type: 'transfer:progress', id: 'l', phase: 'download', current: 0, total: 10 * MB });
    t.send(500, { type: 'transfer:progress', id: 'l', phase: 'download', current: 5 * MB, total: 10 * MB });
    t.advance(600);
    expect(t.terminal.screen).toEqual([
      'pull debian:12 00:01',
      expect.stringMatching(/^pull layer 5\.0\/10\.0 MB/),
    ]);
    const before = t.terminal.writes.length;
    t.out.warn('the registry is slow');
    const [clear, warning] = t.terminal.writes.slice(before);
    expect(clear).toBe('\u001b[2A\u001b[J');
    expect(warning).toBe('warning: the registry is slow\n');
    t.advance(800);
    expect(t.terminal.screen).toEqual([
      'warning: the registry is slow',
      'pull debian:12 00:01',
      expect.stringMatching(/^pull layer 5\.0\/10\.0 MB/),
    ]);
  });

  it('redraws at most ten times a second however many events come', () => {
    const t = setup(80);
    t.send(0, { type: 'job:start', kind: 'pull', label: 'x' });
    for (let ms = 0; ms < 1000; ms++)
      t.send(ms, { type: 'transfer:progress', id: 'l', phase: 'download', current: ms * 1000, total: MB });
    t.advance(1000);
    const draws = t.terminal.writes.filter((w) => w.startsWith('pull x')).length;
    expect(draws).toBeGreaterThan(5);
    expect(draws).toBeLessThanOrEqual(1000 / REDRAW_INTERVAL_MS + 1);
  });

  it('keeps the clocks moving while a step runs, with no event', () => {
    const t = setup(80);
    t.send(0, { type: 'job:start', kind: 'build', label: 'x' });
    t.send(0, { type: 'build:step', step: 1, total: 1, instruction: 'RUN sleep 60' });
    t.advance(5500);
    expect(t.terminal.screen.at(-1)).toBe('step 1/1 RUN sleep 60   00:05');
  });

  it('leaves nothing of the area once closed, and no timer behind', () => {
    const t = setup(80);
    t.send(0, { type: 'job:start', kind: 'build', label: 'x' });
    t.send(0, { type: 'build:step', step: 1, total: 1, instruction: 'RUN make' });
    t.advance(300);
    expect(t.terminal.screen.at(-1)).toMatch(/^step 1\/1 RUN make/);
    t.reporter.close();
    expect(t.terminal.screen).toEqual(['step 1/1 RUN make']);
    expect(t.timers).toEqual([]);
    t.out.info('built x');
    t.advance(5000);
    expect(t.terminal.screen).toEqual(['step 1/1 RUN make', 'built x']);
  });
});
