/**
 * Progress a runtime reports while it works. The engine forwards these to the UI (plain lines or the
 * TUI); runtimes never print.
 */

export type RuntimeEvent =
  /** A build step started: `Step 3/7 : RUN make`. */
  | { type: 'build:step'; step: number; total: number; instruction: string; cached?: boolean | undefined }
  /** A build step that ran (not cached) finished, after `ms` milliseconds. */
  | { type: 'build:step-end'; step: number; total: number; ms: number }
  /** One line of build output (the command's own stdout/stderr). */
  | { type: 'build:output'; line: string }
  /** Bytes of one layer or blob moved so far (pull, push, save, load). */
  | {
      type: 'transfer:progress';
      id: string;
      action: 'pull' | 'push' | 'export' | 'import' | 'extract';
      current: number;
      total?: number | undefined;
    }
  /** One layer or blob finished (or was already present). */
  | {
      type: 'transfer:done';
      id: string;
      action: 'pull' | 'push' | 'export' | 'import' | 'extract';
      skipped?: boolean | undefined;
    }
  /** Anything else worth a line on stderr. */
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string };

/** Receives runtime events; must not throw. */
export type EventSink = (event: RuntimeEvent) => void;

/** A sink that drops everything. */
export const ignoreEvents: EventSink = () => undefined;
