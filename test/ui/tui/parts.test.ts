/** The small parts: the capped log ring, the logs pane's slicing and search, and the light poll. */
import { describe, expect, it } from 'vitest';
import { LOG_LINE_CHARS, LogBuffer } from '../../../src/ui/tui/log-buffer.js';
import { pollChanges } from '../../../src/ui/tui/sources.js';
import { newLogs } from '../../../src/ui/tui/store.js';
import { textOf } from '../../../src/ui/tui/text.js';
import { logsLines } from '../../../src/ui/tui/view-panes.js';

describe('the log ring', () => {
  it('keeps the last lines only, cuts long ones, and joins lines split across chunks', () => {
    const buffer = new LogBuffer(3);
    buffer.write('one\ntw');
    buffer.write('o\nthree\nfour\n');
    buffer.write(`${'y'.repeat(90_000)}\n`);
    expect(buffer.all().slice(0, 2)).toEqual(['three', 'four']);
    expect(buffer.all()[2]).toHaveLength(LOG_LINE_CHARS);
    expect(buffer.added).toBe(5);
  });

  it('drops escape sequences and carriage returns that would move the cursor', () => {
    const buffer = new LogBuffer();
    buffer.write('\x1b[2J\x1b[31mred\x1b[0m\r\n');
    expect(buffer.all()).toEqual(['red']);
  });
});

describe('the logs pane', () => {
  it('renders only the lines that fit, newest last, and marks matches of the search', () => {
    const logs = newLogs('docker/api');
    for (let i = 0; i < 100_000; i++) logs.buffer.write(`line ${i}\n`);
    const lines = logsLines({ ...logs, search: 'line 99999' }, 5).map(textOf);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('following · 2000 lines · /line 99999 1 match');
    expect(lines[4]).toBe('» line 99999');
    const paused = logsLines({ ...logs, follow: false, scroll: 10 }, 3).map(textOf);
    expect(paused.slice(1)).toEqual(['line 99988', 'line 99989']);
  });
});

describe('the light poll', () => {
  it('refreshes everything every 2 s, never while paused, and stops when closed', () => {
    let tick: (() => void) | undefined;
    let cleared = false;
    const source = pollChanges({
      setInterval: (fn, ms) => {
        expect(ms).toBe(2000);
        tick = fn;
        return {};
      },
      clearInterval: () => {
        cleared = true;
      },
    });
    const calls: (string | undefined)[] = [];
    source.start((name) => calls.push(name));
    tick?.();
    source.pause();
    tick?.();
    source.resume();
    tick?.();
    source.close();
    expect(calls).toEqual([undefined, undefined]);
    expect(cleared).toBe(true);
  });
});
