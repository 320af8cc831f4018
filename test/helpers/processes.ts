/** Process checks for tests that kill things: is a pid still alive (a zombie counts as gone)? */
import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` runs; false once it has exited, even before its parent reaped it. */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the parenthesised command name, which may itself hold spaces or parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The pids a fake tool wrote to `file`, one a line. */
export function recordedPids(file: string): number[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/**
 * Kills (SIGKILL) every embedded-runtime container monitor whose store lies under `dir`: a test
 * that failed before its `rm -f` leaves its environment running. The monitor's process title is
 * `devenv-monitor STORE ID`; its sandbox ends with it.
 */
export function killMonitorsUnder(dir: string): number {
  let killed = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (!cmdline.startsWith('devenv-monitor ') || !cmdline.includes(dir)) continue;
    try {
      process.kill(Number(name), 'SIGKILL');
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}
