/**
 * Descriptors this process inherited without close-on-exec (a pipe a calling shell or harness left
 * open, say). Every child would inherit them in turn, and a process that enters a container must
 * bring nothing of the host along, so the commands that start one close them first. Node's own
 * descriptors are all close-on-exec and are left alone.
 */
import { closeSync, fstatSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Closes every descriptor above 2 (and not in `keep`) that is not close-on-exec. Linux only. */
export function closeInheritedDescriptors(keep: readonly number[] = []): void {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2 || keep.includes(fd)) continue;
    let flags: number;
    try {
      const line = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (line?.[1] === undefined) continue;
      flags = parseInt(line[1], 8);
    } catch {
      continue; // the listing's own descriptor, gone by now
    }
    if ((flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Whether `fd` is a pipe or socket: the channel a parent handed over, and not what Node opened first
 * under that number because no descriptor was given (its epoll descriptor, at 3).
 */
export function isChannel(fd: number): boolean {
  try {
    const stats = fstatSync(fd);
    return stats.isFIFO() || stats.isSocket();
  } catch {
    return false;
  }
}
