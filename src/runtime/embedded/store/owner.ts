/**
 * Who owns a piece of in-flight state (an ingest, an incomplete layer, a scratch dir, a lease): the
 * pid plus that process's start time from /proc/<pid>/stat, so a reused pid is not mistaken for the
 * original owner (docs/reliability.md, C8, rule 11).
 */
import { readFile } from '../../../util/fs-async.js';
import { exactObject, integer, number, optional, refine, string } from '../../../util/shape.js';
import type { Checked } from '../../../util/shape.js';

/**
 * The owner record written next to in-flight state: the process that created it, field 22 of
 * /proc/<pid>/stat (clock ticks after boot; empty when unknown), when it was created (milliseconds
 * since the epoch) and what the process was doing, for messages.
 */
export const owner = exactObject({
  pid: refine(integer, (n) => n > 0, 'a process ID'),
  startTime: string,
  createdAt: number,
  purpose: optional(string),
});
export const OwnerSchema = owner;
export type Owner = Checked<typeof owner>;

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined when the process does not exist. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields resume after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** An owner record for the current process. */
export async function currentOwner(now: number, purpose?: string): Promise<Owner> {
  const startTime = (await processStartTime(process.pid)) ?? '';
  return purpose === undefined
    ? { pid: process.pid, startTime, createdAt: now }
    : { pid: process.pid, startTime, createdAt: now, purpose };
}

/** True while the recorded process still runs (same pid and same start time). */
export async function isOwnerAlive(owner: Owner): Promise<boolean> {
  const startTime = await processStartTime(owner.pid);
  if (startTime === undefined) return false;
  return owner.startTime === '' || owner.startTime === startTime;
}

/** True for a pid that exists (used for temp names that carry only a pid). */
export async function isPidAlive(pid: number): Promise<boolean> {
  return (await processStartTime(pid)) !== undefined;
}
