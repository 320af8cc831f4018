/**
 * Where the TUI learns that something changed: the runtimes (an environment started, stopped or
 * went away) and the project's files (devenv.yml edited). Both are interfaces so a test passes a
 * fake and a runtime's event feed replaces the poll in one place.
 */
import type { PendingChange } from './store.js';

/** Calls `onChange` with an environment name, or undefined for "refresh everything". */
export interface ChangeSource {
  start(onChange: (name: string | undefined) => void): void;
  /** Stops calling back while a child owns the terminal, and resumes afterwards. */
  pause(): void;
  resume(): void;
  close(): void;
}

/** Tells the TUI what an edit of devenv.yml or of a file the build reads means. */
export interface WatchSource {
  start(onChange: (change: PendingChange | undefined) => void): void;
  close(): void;
}

/** A timer, so tests can step a fake clock. */
export interface Timers {
  setInterval(fn: () => void, ms: number): { unref?: () => void };
  clearInterval(handle: unknown): void;
}

/** How often the poll asks the runtimes for their environments. */
export const POLL_MS = 2000;

/**
 * The light poll used until a runtime reports its own changes: every {@link POLL_MS} a full
 * refresh, never while paused (a child owns the terminal).
 */
export function pollChanges(timers: Timers = globalThis, everyMs = POLL_MS): ChangeSource {
  let handle: unknown;
  let paused = false;
  return {
    start(onChange) {
      handle = timers.setInterval(() => {
        if (!paused) onChange(undefined);
      }, everyMs);
      (handle as { unref?: () => void }).unref?.();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    close: () => {
      timers.clearInterval(handle);
    },
  };
}

/** A watch source that never reports anything, until the watcher is wired in. */
export const noWatch: WatchSource = { start: () => undefined, close: () => undefined };
