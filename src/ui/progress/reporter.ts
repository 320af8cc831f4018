/**
 * Picks the progress reporter of a command run from `--progress`: `auto` is the live terminal area
 * when stderr is a terminal and `CI` is not set, plain lines otherwise; `tty` falls back to plain
 * lines too when stderr is not a terminal. One reporter per run, however many engine contexts the
 * command makes (`move` has two), so there is only ever one live area.
 */
import { UsageError } from '../../errors.js';
import type { EventSink } from '../../runtime/events.js';
import type { LineMode, PlainOutput } from '../plain/output.js';
import { jsonReporter } from './json-reporter.js';
import { plainReporter } from './plain-reporter.js';
import { quietReporter } from './quiet-reporter.js';
import { ttyReporter } from './tty-reporter.js';

/** What `--progress` accepts. */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json', 'quiet'] as const;

/** A mode once `auto` is decided. */
export type ProgressKind = 'tty' | 'plain' | 'json' | 'quiet';

/** Receives the events of a run; `close` clears whatever it drew. */
export interface Reporter {
  onEvent: EventSink;
  close(): void;
}

/** The reporter `requested` (`--progress`, `auto` when absent) stands for on this stderr. */
export function resolveProgress(
  requested: string | undefined,
  stderr: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): ProgressKind {
  const mode = requested ?? 'auto';
  if (!(PROGRESS_MODES as readonly string[]).includes(mode))
    throw new UsageError(
      `--progress must be one of ${PROGRESS_MODES.join(', ')}, not "${mode}"`,
      'use --progress=plain for logs, --progress=json for tools',
    );
  const terminal = stderr.isTTY === true;
  if (mode === 'auto') return terminal && (env['CI'] ?? '') === '' ? 'tty' : 'plain';
  if (mode === 'tty') return terminal ? 'tty' : 'plain';
  return mode as ProgressKind;
}

/** How the other lines on stderr come out next to `kind`'s progress. */
export function lineModeOf(kind: ProgressKind): LineMode {
  return kind === 'json' ? 'json' : kind === 'quiet' ? 'quiet' : 'text';
}

const reporters = new WeakMap<PlainOutput, Reporter>();

/** The one reporter of the run writing to `out`, made on first use. */
export function reporterFor(out: PlainOutput, kind: ProgressKind, now: () => number): Reporter {
  const known = reporters.get(out);
  if (known !== undefined) return known;
  const made = makeReporter(out, kind, now);
  reporters.set(out, made);
  return made;
}

/** Clears and forgets the reporter of `out`, if it has one (the end of a run). */
export function closeReporter(out: PlainOutput): void {
  reporters.get(out)?.close();
  reporters.delete(out);
}

function makeReporter(out: PlainOutput, kind: ProgressKind, now: () => number): Reporter {
  const stderr = out.streams.stderr as { columns?: number };
  switch (kind) {
    case 'tty':
      return ttyReporter(out, { now, columns: () => stderr.columns ?? 80 });
    case 'plain':
      return { onEvent: plainReporter(out, { now }), close: () => undefined };
    case 'json':
      return { onEvent: jsonReporter(out), close: () => undefined };
    case 'quiet':
      return { onEvent: quietReporter(out), close: () => undefined };
  }
}
