/**
 * Byte progress of a stream as runtime events: a pass-through that counts what goes through it and
 * reports `transfer:progress` at most every {@link BYTE_EVENT_INTERVAL_MS} (a gigabyte archive would
 * otherwise be thousands of events), then `transfer:done` with the final count when it ends.
 */
import { Transform } from 'node:stream';
import { byteProgress } from '../util/byte-progress.js';
import type { BytePhase, EventSink } from './events.js';

/** The least time between two byte events of one stream. */
export const BYTE_EVENT_INTERVAL_MS = 250;

export interface CountBytesOptions {
  /** The size when known up front (a file being read), for a percentage and an ETA. */
  total?: number | undefined;
  /** The clock, in milliseconds. */
  now?: () => number;
}

/** A pass-through stream reporting the bytes of `id` in `phase` to `onEvent`. */
export function countBytes(
  id: string,
  phase: BytePhase,
  onEvent: EventSink,
  options: CountBytesOptions = {},
): Transform {
  const { total } = options;
  const progress = byteProgress({
    intervalMs: BYTE_EVENT_INTERVAL_MS,
    now: options.now ?? Date.now,
    report: (current) => {
      onEvent({ type: 'transfer:progress', id, phase, current, total });
    },
  });
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      progress.add(chunk.length);
      done(null, chunk);
    },
    flush(done) {
      onEvent({ type: 'transfer:progress', id, phase, current: progress.total, total });
      onEvent({ type: 'transfer:done', id, phase });
      done();
    },
  });
}
