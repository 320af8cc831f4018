/** The benchmark harness's pure helpers: medians, how runs split into rounds, the table. */
import { describe, expect, it } from 'vitest';
import { rounds } from '../../bench/lib/hyperfine.js';
import { median } from '../../bench/lib/median.js';
import { formatMs, ratioOf, renderTable } from '../../bench/lib/table.js';

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('rounds', () => {
  it('splits the runs into at most five rounds of at least two, adding up to the runs asked for', () => {
    for (const runs of [2, 3, 5, 10, 11, 20, 37]) {
      const split = rounds(runs);
      expect(split.reduce((a, b) => a + b, 0)).toBe(runs);
      expect(split.length).toBeLessThanOrEqual(5);
      expect(Math.min(...split)).toBeGreaterThanOrEqual(2);
    }
    expect(rounds(10)).toEqual([2, 2, 2, 2, 2]);
    expect(rounds(3)).toEqual([3]);
  });
});

describe('table', () => {
  it('formats milliseconds and seconds', () => {
    expect(formatMs(42.06)).toBe('42.1 ms');
    expect(formatMs(1840)).toBe('1.84 s');
    expect(formatMs(undefined)).toBe('-');
  });

  it('has a ratio only when both sides were measured', () => {
    expect(ratioOf({ benchmark: 'b', peer: 'p', devenvMs: 300, peerMs: 100 })).toBe(3);
    expect(ratioOf({ benchmark: 'b', peer: 'p', devenvMs: 300, peerUnavailable: 'offline' })).toBeUndefined();
  });

  it('shows unavailable peers inline and failures under the table', () => {
    const text = renderTable('demo', [
      { benchmark: 'exec', devenvMs: 500, peer: 'docker exec', peerMs: 80 },
      { benchmark: 'exec', devenvMs: 500, peer: 'devcontainer exec', peerUnavailable: 'ECONNREFUSED' },
      { benchmark: 'build', peer: 'docker build', error: 'hyperfine exited with 1' },
    ]);
    expect(text.split('\n')).toEqual([
      '## demo',
      '',
      '| benchmark | devenv median | peer              | peer median                    | ratio (devenv/peer) |',
      '|-----------|--------------:|-------------------|-------------------------------:|--------------------:|',
      '| exec      |      500.0 ms | docker exec       |                        80.0 ms |               6.25x |',
      '| exec      |      500.0 ms | devcontainer exec | peer unavailable: ECONNREFUSED |                   - |',
      '| build     |        FAILED | docker build      |                         FAILED |                   - |',
      '',
      'FAILED build: hyperfine exited with 1',
    ]);
  });
});
