/**
 * Where everything goes on a `columns` × `rows` terminal. The frame is one line shorter than the
 * terminal: Ink clears the whole screen on every frame that reaches the terminal's height, which
 * flickers and loses scrollback.
 */
import type { TuiState } from './store.js';

/** Below this many columns the list and the pane share one box. */
export const NARROW_COLUMNS = 80;
/** Below this many rows the progress pane is one line. */
export const SHORT_ROWS = 24;

export interface Layout {
  columns: number;
  /** Lines of the frame: rows − 1. */
  height: number;
  narrow: boolean;
  listWidth: number;
  paneWidth: number;
  /** Lines of the list/pane boxes, borders included. */
  bodyHeight: number;
  /** Lines of the progress pane, borders included (0 without jobs). */
  progressHeight: number;
  banner: boolean;
  notice: boolean;
}

/** Computes the layout; see the module comment. */
export function layoutOf(
  state: Pick<TuiState, 'size' | 'jobs' | 'pendingChange' | 'notice' | 'entry'>,
): Layout {
  const columns = Math.max(20, state.size.columns);
  const height = Math.max(6, state.size.rows - 1);
  const narrow = columns < NARROW_COLUMNS;
  const jobLines = state.jobs.reduce((n, j) => n + 1 + j.lines.length, 0);
  const progressHeight =
    state.jobs.length === 0 ? 0 : state.size.rows < SHORT_ROWS ? 1 : Math.min(4, jobLines) + 2;
  const banner = state.pendingChange !== undefined;
  const notice = state.notice !== undefined;
  // Heading and hint bar, one line each.
  const entry = state.entry !== undefined;
  const bodyHeight = Math.max(
    3,
    height - 2 - progressHeight - Number(banner) - Number(notice) - Number(entry),
  );
  const listWidth = narrow ? columns : Math.min(44, Math.max(30, Math.floor(columns * 0.36)));
  return {
    columns,
    height,
    narrow,
    listWidth,
    paneWidth: narrow ? columns : columns - listWidth,
    bodyHeight,
    progressHeight,
    banner,
    notice,
  };
}
