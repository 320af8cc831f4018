/**
 * Whether a recorded process still runs. A pid alone proves nothing after a reboot or once the
 * kernel has reused it, so every recorded pid carries its start time (field 22 of /proc/PID/stat,
 * in clock ticks since boot), and a process counts as the recorded one only when both match.
 */
import { readFileSync } from 'node:fs';

/** The start time of `pid`, or undefined when there is no such process. */
export function processStart(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': split after the last.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields from 3 on: index 0 is field 3, so field 22 is index 19.
  return fields[19];
}

/** True when `pid` runs and is the process that started at `start`. */
export function isAlive(pid: number | undefined, start: string | undefined): boolean {
  return pid !== undefined && start !== undefined && processStart(pid) === start;
}
