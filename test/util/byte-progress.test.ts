import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { byteProgress, countingStream, formatMegabytes } from '../../src/util/byte-progress.js';

/** A clock the test moves by hand. */
function clock() {
  let time = 1000;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('byteProgress', () => {
  it('reports the running total at most once per interval, never at once and never twice the same', () => {
    const time = clock();
    const reports: number[] = [];
    const progress = byteProgress({ intervalMs: 500, now: time.now, report: (b) => reports.push(b) });
    progress.add(100);
    time.advance(499);
    progress.add(100);
    expect(reports).toEqual([]);
    time.advance(1);
    progress.add(50);
    expect(reports).toEqual([250]);
    // Within the next interval: counted, not reported.
    time.advance(100);
    progress.add(1000);
    expect(reports).toEqual([250]);
    expect(progress.total).toBe(1250);
    time.advance(400);
    progress.add(0);
    expect(reports).toEqual([250, 1250]);
    // Nothing new: no repeated line even after a long pause.
    time.advance(10_000);
    progress.add(0);
    expect(reports).toEqual([250, 1250]);
  });

  it('countingStream passes every byte through and counts it', async () => {
    const time = clock();
    const reports: number[] = [];
    const progress = byteProgress({ intervalMs: 0, now: time.now, report: (b) => reports.push(b) });
    const received: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        done();
      },
    });
    const chunks = [Buffer.alloc(3, 1), Buffer.alloc(5, 2)];
    await pipeline(Readable.from(chunks), countingStream(progress), sink);
    expect(Buffer.concat(received)).toEqual(Buffer.concat(chunks));
    expect(progress.total).toBe(8);
    expect(reports).toEqual([3, 8]);
  });

  it('formats whole megabytes, and kilobytes below one', () => {
    expect(formatMegabytes(0)).toBe('0 kB');
    expect(formatMegabytes(1500)).toBe('2 kB');
    expect(formatMegabytes(120_400_000)).toBe('120 MB');
  });
});
