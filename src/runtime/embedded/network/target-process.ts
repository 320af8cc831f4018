/**
 * Watching the process whose network namespace slirp4netns serves. slirp4netns holds the namespace's
 * tap device open, and with it the namespace, so it never notices on its own that the container is
 * gone; devenv watches the process instead and stops slirp4netns when it ends. A pid alone is not
 * trusted: it is compared with the process's start time, so a recycled pid does not count.
 */
import { readFile } from '../../../util/fs-async.js';

/** How often the watched process is looked at; a stopped container's forwards end this much later. */
const POLL_MS = 500;

/** The state and start time (fields 3 and 22 of /proc/<pid>/stat), or undefined when it is gone. */
async function statOf(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) may contain spaces and parentheses; fields resume after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
}

/** The start time of `pid` while it runs (a zombie has left its namespaces already), else undefined. */
export async function runningStartTime(pid: number): Promise<string | undefined> {
  const stat = await statOf(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat.startTime;
}

/**
 * Calls `onGone` once, when process `pid` that started at `startTime` no longer runs. Returns a
 * function that stops watching. The timer does not keep Node running by itself.
 */
export function watchProcess(pid: number, startTime: string, onGone: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const look = async () => {
    const now = await runningStartTime(pid);
    if (stopped) return;
    if (now !== startTime) {
      stopped = true;
      onGone();
      return;
    }
    timer = setTimeout(() => void look(), POLL_MS).unref();
  };
  timer = setTimeout(() => void look(), POLL_MS).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
