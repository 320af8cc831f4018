/**
 * The shared progress model with a fake clock: steps and their clocks, cached steps, bytes with
 * percent, rate and ETA, failures, and lines that fit 40, 80 and 200 columns.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/runtime/events.js';
import { emptyProgress, progressLines, reduceProgress } from '../../../src/ui/progress/progress-state.js';
import type { ProgressState } from '../../../src/ui/progress/progress-state.js';

/** Folds `[time, event]` pairs into a state. */
function run(events: readonly (readonly [number, RuntimeEvent])[], from = emptyProgress()): ProgressState {
  return events.reduce((state, [now, event]) => reduceProgress(state, event, now), from);
}

const MB = 1_000_000;
const pullStart = [0, { type: 'job:start', kind: 'pull', label: 'debian:12' }] as const;

describe('reduceProgress', () => {
  it('returns a new state and leaves the old one as it was', () => {
    const before = emptyProgress();
    const after = reduceProgress(before, pullStart[1], 0);
    expect(after).not.toBe(before);
    expect(before).toEqual({ jobs: [], finished: [] });
    expect(after.jobs).toHaveLength(1);
  });

  it('a running step shows its instruction and clock; its end becomes a finished line', () => {
    const state = run([
      [0, { type: 'job:start', kind: 'build', label: 'devenv/demo:1' }],
      [1000, { type: 'build:step', step: 4, total: 9, instruction: 'RUN apt-get install -y jq' }],
    ]);
    expect(progressLines(state, 80, 43_000)).toEqual([
      'build devenv/demo:1 00:43',
      'step 4/9 RUN apt-get install -y jq   00:42',
    ]);
    const ended = reduceProgress(state, { type: 'build:step-end', step: 4, total: 9, ms: 42_000 }, 43_000);
    expect(ended.finished).toEqual(['step 4/9 RUN apt-get install -y jq 00:42']);
    expect(progressLines(ended, 80, 43_000)).toEqual([
      'step 4/9 RUN apt-get install -y jq 00:42',
      'build devenv/demo:1 00:43',
    ]);
  });

  it('a cached step is a finished line at once and leaves no running step', () => {
    const state = run([
      [0, { type: 'job:start', kind: 'build', label: 'x' }],
      [5, { type: 'build:step', step: 1, total: 2, instruction: 'FROM alpine', cached: true }],
    ]);
    expect(state.finished).toEqual(['step 1/2 FROM alpine (cached)']);
    expect(state.jobs[0]?.step).toBeUndefined();
  });

  it('bytes with a total: amount, bar, percent, rate from the last seconds and the ETA', () => {
    const state = run([
      pullStart,
      [0, { type: 'transfer:progress', id: 'a', phase: 'download', current: 0, total: 10 * MB }],
      [1000, { type: 'transfer:progress', id: 'a', phase: 'download', current: 2 * MB, total: 10 * MB }],
      [2000, { type: 'transfer:progress', id: 'a', phase: 'download', current: 4 * MB, total: 10 * MB }],
    ]);
    expect(state.jobs[0]?.rate).toBeCloseTo(2 * MB, -3);
    expect(progressLines(state, 80, 2000)).toEqual([
      'pull debian:12 00:02',
      'pull layer 4.0/10.0 MB ████░░░░░░ 40% 2.0 MB/s ETA 3s',
    ]);
  });

  it('counts layers: the one moving of how many, done ones at their full size', () => {
    const state = run([
      pullStart,
      [0, { type: 'transfer:progress', id: 'a', phase: 'download', current: 0, total: 40 * MB }],
      [0, { type: 'transfer:progress', id: 'b', phase: 'download', current: 0, total: 56 * MB }],
      [0, { type: 'transfer:progress', id: 'c', phase: 'download', current: 0, total: 4 * MB }],
      [4000, { type: 'transfer:done', id: 'a', phase: 'download' }],
      [4000, { type: 'transfer:progress', id: 'b', phase: 'download', current: 1.2 * MB, total: 56 * MB }],
    ]);
    const lines = progressLines(state, 200, 4000);
    expect(lines[1]).toMatch(/^pull layer 2\/3 41\.2\/100\.0 MB ████░░░░░░ 41% /);
  });

  it('a rate that stops falls towards the new pace instead of jumping', () => {
    const start = run([
      pullStart,
      [0, { type: 'transfer:progress', id: 'a', phase: 'download', current: 0, total: 100 * MB }],
      [1000, { type: 'transfer:progress', id: 'a', phase: 'download', current: 10 * MB, total: 100 * MB }],
    ]);
    const slower = reduceProgress(
      start,
      { type: 'transfer:progress', id: 'a', phase: 'download', current: 11 * MB, total: 100 * MB },
      2000,
    );
    const rate = slower.jobs[0]?.rate ?? 0;
    expect(rate).toBeLessThan(10 * MB);
    expect(rate).toBeGreaterThan(1 * MB);
  });

  it('bytes without a total: the amount and the rate, no bar and no ETA', () => {
    const state = run([
      [0, { type: 'job:start', kind: 'save', label: 'img' }],
      [0, { type: 'transfer:progress', id: 'archive', phase: 'write', current: 0 }],
      [1000, { type: 'transfer:progress', id: 'archive', phase: 'write', current: 3 * MB }],
    ]);
    expect(progressLines(state, 80, 1000)[1]).toBe('save write 3.0 MB 3.0 MB/s');
  });

  it('a job that ends leaves the area with a finished line saying how it ended', () => {
    const ok = run([pullStart, [3000, { type: 'job:end', kind: 'pull', label: 'debian:12', ok: true }]]);
    expect(ok.jobs).toEqual([]);
    expect(ok.finished).toEqual(['pull debian:12: done in 00:03']);
    const failed = run([
      pullStart,
      [
        2000,
        {
          type: 'job:end',
          kind: 'pull',
          label: 'debian:12',
          ok: false,
          code: 'DEVENV_REGISTRY',
          message: 'manifest unknown',
        },
      ],
    ]);
    expect(failed.finished).toEqual(['pull debian:12: failed after 00:02: manifest unknown']);
  });

  it('keeps the last five finished lines', () => {
    const steps = Array.from(
      { length: 7 },
      (_, i) =>
        [
          i,
          { type: 'build:step', step: i + 1, total: 7, instruction: `RUN s${i + 1}`, cached: true },
        ] as const,
    );
    expect(run(steps).finished.map((l) => l.split(' ')[1])).toEqual(['3/7', '4/7', '5/7', '6/7', '7/7']);
  });
});

describe('progressLines', () => {
  const busy = run([
    [0, { type: 'job:start', kind: 'build', label: 'devenv/a-project-with-a-rather-long-name:latest' }],
    [
      0,
      { type: 'build:step', step: 12, total: 30, instruction: `RUN ${'apt-get install -y '.repeat(12)}jq` },
    ],
    [0, { type: 'transfer:progress', id: 'l1', phase: 'download', current: 0, total: 96 * MB }],
    [1000, { type: 'transfer:progress', id: 'l1', phase: 'download', current: 41.2 * MB, total: 96 * MB }],
  ]);

  it.each([40, 80, 200])('no line is wider than %i columns', (width) => {
    const lines = progressLines(busy, width, 65_000);
    expect(lines.length).toBe(3);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
  });

  it('a narrow line keeps the step clock and cuts the instruction; the bytes line drops rate and ETA first', () => {
    const [, step, bytes] = progressLines(busy, 40, 65_000);
    expect(step).toMatch(/^step 12\/30 RUN apt-get \S.*\S… {3}01:05$/);
    expect(bytes).toBe('build download 41.2/96.0 MB ████░░░░░░');
    const wide = progressLines(busy, 200, 65_000);
    expect(wide[2]).toMatch(/ 42% 41\.2 MB\/s ETA 1s$/);
  });

  it('plain text only: no escape codes', () => {
    expect(progressLines(busy, 80, 1000).join('')).not.toContain(String.fromCharCode(27));
  });
});
