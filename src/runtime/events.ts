/**
 * Progress a runtime reports while it works: one typed stream that every front end reads (plain
 * lines, a live terminal area, JSON lines, the TUI's progress pane). Runtimes never print.
 */
import { isDevenvError } from '../errors.js';

/** The long operations that start and end as a whole. */
export type JobKind = 'build' | 'pull' | 'push' | 'save' | 'load' | 'move';

/**
 * What happens to the bytes of one layer, blob or archive: fetched from or sent to a registry,
 * unpacked into the store, read from or written to a file, checked against its digest.
 */
export type BytePhase = 'download' | 'upload' | 'extract' | 'read' | 'write' | 'verify';

export type RuntimeEvent =
  /** A long operation began: `pull docker.io/library/alpine:3`. */
  | { type: 'job:start'; kind: JobKind; label: string }
  /** It ended: `ok`, or failed with the error's code and message. */
  | { type: 'job:end'; kind: JobKind; label: string; ok: true }
  | { type: 'job:end'; kind: JobKind; label: string; ok: false; code: string; message: string }
  /** A build step started (`Step 3/7 : RUN make`), or was taken from the cache when `cached`. */
  | { type: 'build:step'; step: number; total: number; instruction: string; cached?: boolean | undefined }
  /** A build step that ran (not cached) finished, after `ms` milliseconds. */
  | { type: 'build:step-end'; step: number; total: number; ms: number }
  /** One line of build output (the command's own stdout/stderr). */
  | { type: 'build:output'; line: string }
  /** Bytes of one layer, blob or archive moved so far; `total` when the size is known up front. */
  | {
      type: 'transfer:progress';
      id: string;
      phase: BytePhase;
      current: number;
      total?: number | undefined;
    }
  /** One layer, blob or archive finished (`skipped`: it was already there). */
  | { type: 'transfer:done'; id: string; phase: BytePhase; skipped?: boolean | undefined }
  /** Anything else worth a line on stderr. */
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string };

/** Receives runtime events; must not throw. */
export type EventSink = (event: RuntimeEvent) => void;

/** A sink that drops everything. */
export const ignoreEvents: EventSink = () => undefined;

/**
 * Runs `work` as one job: `job:start` before it, `job:end` after it with the outcome (a failure
 * carries the error's code, or DEVENV_BUG for an error that is not the user's to fix), rethrowing.
 */
export async function runJob<T>(
  onEvent: EventSink,
  kind: JobKind,
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  onEvent({ type: 'job:start', kind, label });
  try {
    const result = await work();
    onEvent({ type: 'job:end', kind, label, ok: true });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = isDevenvError(error) ? error.code : 'DEVENV_BUG';
    onEvent({ type: 'job:end', kind, label, ok: false, code, message });
    throw error;
  }
}
