/**
 * Docker's masked and read-only paths of /proc and /sys, which a sandbox that is not privileged
 * gets: masked files show /dev/null's (empty) contents, masked folders an empty read-only tmpfs,
 * and the read-only ones keep their contents but refuse writes, so the program can neither read
 * kernel memory and timers nor change kernel settings that are not its namespace's own.
 */
import { lstatSync } from 'node:fs';

/** Paths Docker masks. */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
] as const;

/** Paths Docker makes read-only. */
export const READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
] as const;

/** A masked path and whether it is a folder (covered by a tmpfs) or a file (covered by /dev/null). */
export interface MaskedPath {
  path: string;
  dir: boolean;
}

/** The masks and read-only paths that exist on this host (the sandbox's /proc and /sys show the same kernel). */
export interface HostMasks {
  masked: MaskedPath[];
  readonly: string[];
}

function kind(file: string): 'dir' | 'other' | undefined {
  try {
    return lstatSync(file).isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

/** Looks the paths up on the host; `prefix` stands in for the host root in tests. */
export function hostMasks(prefix = ''): HostMasks {
  const masked: MaskedPath[] = [];
  for (const p of MASKED_PATHS) {
    const k = kind(`${prefix}${p}`);
    if (k !== undefined) masked.push({ path: p, dir: k === 'dir' });
  }
  return { masked, readonly: READONLY_PATHS.filter((p) => kind(`${prefix}${p}`) !== undefined) };
}
