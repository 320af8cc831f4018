/**
 * Runtime events → lines on stderr, for logs and pipes: one line per build step (marked when
 * cached), the build's own output, each layer or file as it finishes, bytes every few seconds (or
 * sooner for each further tenth, at most once a second), infos and warnings. No cursor movement,
 * so a log reads as it was written.
 */
import type { RuntimeEvent } from '../../runtime/events.js';
import type { PlainOutput } from '../plain/output.js';
import { formatBytes, formatClock } from './format.js';

/** The most time between two byte lines of one layer or file while it moves. */
export const PLAIN_BYTES_INTERVAL_MS = 5000;
/** The least time between two byte lines of one layer or file, however far it moved. */
const PLAIN_BYTES_MIN_MS = 1000;

/** What the plain reporter needs besides the output: the clock, in milliseconds. */
export interface PlainReporterOptions {
  now: () => number;
}

/** A reporter for one command run. */
export function plainReporter(
  out: PlainOutput,
  options: PlainReporterOptions,
): (event: RuntimeEvent) => void {
  const seenSteps = new Set<string>();
  const bytesShown = new Map<string, { at: number; tenth: number }>();
  const shouldShowBytes = (id: string, current: number, total: number | undefined): boolean => {
    const now = options.now();
    const tenth = total === undefined || total === 0 ? -1 : Math.floor((current * 10) / total);
    const last = bytesShown.get(id);
    if (
      last !== undefined &&
      now - last.at < PLAIN_BYTES_INTERVAL_MS &&
      (tenth <= last.tenth || now - last.at < PLAIN_BYTES_MIN_MS)
    )
      return false;
    // The first line waits for the first interval: a small layer finishes before it is worth a line.
    if (last === undefined) {
      bytesShown.set(id, { at: now, tenth });
      return false;
    }
    bytesShown.set(id, { at: now, tenth });
    return true;
  };
  return (event) => {
    switch (event.type) {
      case 'job:start':
        return;
      case 'job:end':
        // A failure reaches the user as the command's error; a nested failure that was handled is no news.
        if (event.ok) out.info(out.style('dim', `${event.kind} ${event.label}: done`));
        return;
      case 'build:step': {
        const key = `${event.step}/${event.total}`;
        if (event.cached === true) {
          out.info(out.style('dim', `  step ${key}: cached`));
        } else if (!seenSteps.has(`${key} ${event.instruction}`)) {
          seenSteps.add(`${key} ${event.instruction}`);
          out.info(
            `${out.style('cyan', `step ${key}`)} ${event.instruction.length > 160 ? `${event.instruction.slice(0, 157)}...` : event.instruction}`,
          );
        }
        return;
      }
      case 'build:step-end':
        // Only steps worth waiting for get a line; quick ones would double the output.
        if (event.ms >= 1000)
          out.info(out.style('dim', `  step ${event.step}/${event.total}: ${formatClock(event.ms)}`));
        return;
      case 'build:output':
        out.info(out.style('dim', `  ${event.line}`));
        return;
      case 'transfer:progress': {
        // Nothing moved yet, or all of it: the done line says that.
        if (event.current === 0 || event.current === event.total) return;
        if (!shouldShowBytes(event.id, event.current, event.total)) return;
        const percent =
          event.total === undefined || event.total === 0
            ? ''
            : ` ${Math.floor((event.current * 100) / event.total)}%`;
        out.info(`${event.id}: ${event.phase} ${formatBytes(event.current, event.total)}${percent}`);
        return;
      }
      case 'transfer:done':
        bytesShown.delete(event.id);
        out.info(`${event.id}: ${event.skipped === true ? 'already there' : `${event.phase} complete`}`);
        return;
      case 'info':
        out.info(event.message);
        return;
      case 'warning':
        out.warn(event.message);
        return;
    }
  };
}
