/**
 * `--progress=tty`: a live area at the bottom of the terminal, redrawn in place from
 * {@link progressLines} (the step running with its clock, bytes with a bar, rate and ETA), with the
 * lasting lines (steps, build output, infos, warnings) printed above it. The area is cleared before
 * any other line is written and when the command ends, so nothing is ever drawn over.
 */
import type { Writable } from 'node:stream';
import type { RuntimeEvent } from '../../runtime/events.js';
import type { PlainOutput } from '../plain/output.js';
import { plainReporter } from './plain-reporter.js';
import { emptyProgress, progressLines, reduceProgress } from './progress-state.js';
import type { Reporter } from './reporter.js';

/** The least time between two redraws: at most ten a second. */
export const REDRAW_INTERVAL_MS = 100;
/** While a job runs the area is redrawn at least this often, so its clocks move. */
const TICK_MS = 1000;

/** Runs `run` after `ms`; returns its cancellation. */
export type Schedule = (run: () => void, ms: number) => () => void;

export interface TtyReporterOptions {
  now: () => number;
  /** The terminal's width now (it may change while the command runs). */
  columns: () => number;
  schedule?: Schedule | undefined;
}

/** Timers that never keep the process alive on their own. */
const unrefTimers: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
};

/** A reporter drawing on `out`'s stderr, which must be a terminal. */
export function ttyReporter(out: PlainOutput, options: TtyReporterOptions): Reporter {
  const stderr: Writable = out.streams.stderr;
  const schedule = options.schedule ?? unrefTimers;
  const lasting = plainReporter(out, { now: options.now });
  let state = emptyProgress();
  let drawn = 0;
  let lastDraw = -Infinity;
  let pending: (() => void) | undefined;
  let closed = false;

  const clear = (): void => {
    if (drawn > 0) stderr.write(`\u001b[${drawn}A\u001b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    pending = undefined;
    pendingAt = Infinity;
    if (closed) return;
    const now = options.now();
    // One column spare: a line filling the last column makes some terminals wrap early.
    const lines = progressLines({ ...state, finished: [] }, Math.max(1, options.columns() - 1), now);
    clear();
    if (lines.length > 0) stderr.write(lines.map((line) => `${line}\n`).join(''));
    drawn = lines.length;
    lastDraw = now;
    if (state.jobs.some((job) => job.kind !== undefined || job.step !== undefined)) later(TICK_MS);
  };
  let pendingAt = Infinity;
  /** Draws `ms` from now, unless a draw comes sooner already (a clock tick waits for a change). */
  const later = (ms: number): void => {
    const at = options.now() + ms;
    if (closed || at >= pendingAt) return;
    pending?.();
    pendingAt = at;
    pending = schedule(draw, ms);
  };
  const soon = (): void => {
    later(Math.max(0, REDRAW_INTERVAL_MS - (options.now() - lastDraw)));
  };

  out.attachLiveArea({ clear, redraw: soon });
  return {
    onEvent(event: RuntimeEvent) {
      state = reduceProgress(state, event, options.now());
      // Bytes live in the area only; every other event also leaves a line above it.
      if (event.type !== 'transfer:progress' && event.type !== 'transfer:done') lasting(event);
      soon();
    },
    close() {
      closed = true;
      pending?.();
      pending = undefined;
      pendingAt = Infinity;
      out.attachLiveArea(undefined);
      clear();
    },
  };
}
