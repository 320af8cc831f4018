/**
 * Progress of a long write in bytes: a pass-through stream that counts what goes through it and
 * reports the running total at most once per interval (and never the same total twice), so a save of
 * gigabytes shows it is moving without printing a line per chunk.
 */
import { Transform } from 'node:stream';

export interface ByteProgressOptions {
  /** The least time between two reports. */
  intervalMs: number;
  /** The clock, in milliseconds. */
  now: () => number;
  /** Receives the running total. */
  report: (bytes: number) => void;
}

/** A byte counter that reports through `options.report`, throttled. */
export interface ByteProgress {
  /** Counts `n` more bytes; reports when the interval since the last report has passed. */
  add(n: number): void;
  /** Bytes counted so far. */
  readonly total: number;
}

/** A counter whose first report comes one interval after it is made, not at once. */
export function byteProgress(options: ByteProgressOptions): ByteProgress {
  let total = 0;
  let reported = 0;
  let last = options.now();
  return {
    add(n) {
      total += n;
      const now = options.now();
      if (now - last < options.intervalMs || total === reported) return;
      last = now;
      reported = total;
      options.report(total);
    },
    get total() {
      return total;
    },
  };
}

/** A pass-through stream that counts every chunk into `progress`. */
export function countingStream(progress: ByteProgress): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      progress.add(chunk.length);
      done(null, chunk);
    },
  });
}

/** Bytes as whole megabytes (or kilobytes below one), for progress lines. */
export function formatMegabytes(bytes: number): string {
  return bytes < 1_000_000 ? `${Math.ceil(bytes / 1000)} kB` : `${Math.round(bytes / 1_000_000)} MB`;
}
