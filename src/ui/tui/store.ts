/**
 * The TUI's state, kept outside React: a reducer and a subscribe list. It outlives the Ink instance,
 * so after a handover (attach, shell, editor) a fresh instance paints the same screen at once, and
 * tests drive it without rendering anything.
 */
import { LogBuffer } from './log-buffer.js';
import type { EnvRow } from './model.js';

export type Tab = 'detail' | 'logs' | 'plan';

/** A question on top of the screen: yes/no, or fields to fill (a path, a name to type). */
export type Dialog =
  | { kind: 'confirm'; title: string; lines: string[]; answer: (yes: boolean) => void }
  | {
      kind: 'form';
      title: string;
      lines: string[];
      fields: { label: string; value: string }[];
      focus: number;
      /** Why the values cannot be submitted yet (the typed name does not match), or undefined. */
      check: (values: string[]) => string | undefined;
      submit: (values: string[]) => void;
    };

/** A running job (start, rebuild, save…): its last progress lines and how to cancel it. */
export interface Job {
  id: number;
  title: string;
  lines: string[];
  cancel: AbortController;
}

/** What the watcher found in devenv.yml or the files the build reads. */
export interface PendingChange {
  verdict: 'rebuild' | 'recreate' | 'invalid';
  message: string;
}

export interface LogsState {
  key: string;
  buffer: LogBuffer;
  follow: boolean;
  /** Lines scrolled up from the newest, when not following. */
  scroll: number;
  search: string;
  /** Bumped on every write, so selectors see that the buffer changed. */
  version: number;
}

export interface TuiState {
  rows: EnvRow[];
  /** False until the first inventory arrived. */
  loaded: boolean;
  selected: string | undefined;
  focus: 'list' | 'pane';
  tab: Tab;
  filter: string;
  /** A line being typed: the list filter or the log search. */
  entry: { kind: 'filter' | 'search'; text: string } | undefined;
  logs: LogsState | undefined;
  plan: { key: string; lines: string[] } | undefined;
  jobs: Job[];
  dialog: Dialog | undefined;
  help: boolean;
  /** Lines the help overlay is scrolled down. */
  helpScroll: number;
  notice: { kind: 'info' | 'error'; text: string; hint?: string | undefined } | undefined;
  pendingChange: PendingChange | undefined;
  /** True while a child process owns the terminal: input off, no refreshes. */
  suspended: boolean;
  size: { columns: number; rows: number };
  /** The shared clock for uptimes, ticked once a second. */
  now: number;
  /** Heading facts: runtimes and the project folder. */
  title: string;
}

export type TuiAction =
  | { type: 'rows'; rows: EnvRow[] }
  | { type: 'row'; key: string; row: EnvRow | undefined }
  | { type: 'select'; key: string | undefined }
  | { type: 'move'; by: number | 'top' | 'bottom' }
  | { type: 'focus'; focus: 'list' | 'pane' }
  | { type: 'tab'; tab: Tab }
  | { type: 'entry'; entry: TuiState['entry'] }
  | { type: 'filter'; text: string }
  | { type: 'logs'; logs: LogsState | undefined }
  | { type: 'logs-write'; key: string; chunk: string }
  | { type: 'logs-view'; follow?: boolean; scroll?: number; search?: string }
  | { type: 'plan'; plan: TuiState['plan'] }
  | { type: 'job-start'; job: Job }
  | { type: 'job-lines'; id: number; lines: string[] }
  | { type: 'job-end'; id: number }
  | { type: 'dialog'; dialog: Dialog | undefined }
  | { type: 'help'; open: boolean }
  | { type: 'help-scroll'; by: number }
  | { type: 'notice'; notice: TuiState['notice'] }
  | { type: 'pending'; change: PendingChange | undefined }
  | { type: 'suspended'; suspended: boolean }
  | { type: 'size'; columns: number; rows: number }
  | { type: 'tick'; now: number };

/** The initial state. */
export function initialState(size: { columns: number; rows: number }, now: number, title: string): TuiState {
  return {
    rows: [],
    loaded: false,
    selected: undefined,
    focus: 'list',
    tab: 'detail',
    filter: '',
    entry: undefined,
    logs: undefined,
    plan: undefined,
    jobs: [],
    dialog: undefined,
    help: false,
    helpScroll: 0,
    notice: undefined,
    pendingChange: undefined,
    suspended: false,
    size,
    now,
    title,
  };
}

/** The list in display order: this project's environments first, then the others by project. */
export function orderRows(rows: readonly EnvRow[]): EnvRow[] {
  return [...rows].sort(
    (a, b) =>
      Number(b.mine) - Number(a.mine) ||
      (a.project ?? '').localeCompare(b.project ?? '') ||
      a.name.localeCompare(b.name) ||
      a.runtime.localeCompare(b.runtime),
  );
}

/** The rows the list shows: ordered and filtered. */
export function visibleRows(state: Pick<TuiState, 'rows' | 'filter'>): EnvRow[] {
  const filter = state.filter.toLowerCase();
  return state.rows.filter((r) => filter === '' || r.name.toLowerCase().includes(filter));
}

/** The selected row, if it is still there. */
export function selectedRow(state: Pick<TuiState, 'rows' | 'selected'>): EnvRow | undefined {
  return state.rows.find((r) => r.key === state.selected);
}

function keepSelection(state: TuiState, rows: EnvRow[]): TuiState {
  const ordered = orderRows(rows);
  const visible = visibleRows({ rows: ordered, filter: state.filter });
  const selected = visible.some((r) => r.key === state.selected) ? state.selected : visible[0]?.key;
  return { ...state, rows: ordered, selected, loaded: true };
}

function move(state: TuiState, by: number | 'top' | 'bottom'): TuiState {
  const visible = visibleRows(state);
  if (visible.length === 0) return state;
  const at = Math.max(
    0,
    visible.findIndex((r) => r.key === state.selected),
  );
  const to =
    by === 'top'
      ? 0
      : by === 'bottom'
        ? visible.length - 1
        : Math.min(visible.length - 1, Math.max(0, at + by));
  return { ...state, selected: visible[to]?.key };
}

/** The reducer. */
export function reduce(state: TuiState, action: TuiAction): TuiState {
  switch (action.type) {
    case 'rows':
      return keepSelection(state, action.rows);
    case 'row': {
      const others = state.rows.filter((r) => r.key !== action.key);
      return keepSelection(state, action.row === undefined ? others : [...others, action.row]);
    }
    case 'select':
      return { ...state, selected: action.key };
    case 'move':
      return move(state, action.by);
    case 'focus':
      return { ...state, focus: action.focus };
    case 'tab':
      return { ...state, tab: action.tab };
    case 'entry':
      return { ...state, entry: action.entry };
    case 'filter': {
      const next = { ...state, filter: action.text };
      return keepSelection(next, next.rows);
    }
    case 'logs':
      return { ...state, logs: action.logs };
    case 'logs-write': {
      if (state.logs?.key !== action.key) return state;
      state.logs.buffer.write(action.chunk);
      return { ...state, logs: { ...state.logs, version: state.logs.version + 1 } };
    }
    case 'logs-view':
      return state.logs === undefined
        ? state
        : {
            ...state,
            logs: {
              ...state.logs,
              follow: action.follow ?? state.logs.follow,
              scroll: action.scroll ?? state.logs.scroll,
              search: action.search ?? state.logs.search,
            },
          };
    case 'plan':
      return { ...state, plan: action.plan };
    case 'job-start':
      return { ...state, jobs: [...state.jobs, action.job] };
    case 'job-lines':
      return {
        ...state,
        jobs: state.jobs.map((j) => (j.id === action.id ? { ...j, lines: action.lines } : j)),
      };
    case 'job-end':
      return { ...state, jobs: state.jobs.filter((j) => j.id !== action.id) };
    case 'dialog':
      return { ...state, dialog: action.dialog };
    case 'help':
      return { ...state, help: action.open, helpScroll: 0 };
    case 'help-scroll':
      return { ...state, helpScroll: Math.max(0, state.helpScroll + action.by) };
    case 'notice':
      return { ...state, notice: action.notice };
    case 'pending':
      return { ...state, pendingChange: action.change };
    case 'suspended':
      return { ...state, suspended: action.suspended };
    case 'size':
      return { ...state, size: { columns: action.columns, rows: action.rows } };
    case 'tick':
      return { ...state, now: action.now };
  }
}

/** A new, empty logs state for one environment. */
export function newLogs(key: string): LogsState {
  return { key, buffer: new LogBuffer(), follow: true, scroll: 0, search: '', version: 0 };
}

/** The store: state, dispatch and subscribe, for `useSyncExternalStore`. */
export interface Store {
  getState: () => TuiState;
  dispatch: (action: TuiAction) => void;
  subscribe: (listener: () => void) => () => void;
}

/** Makes a store around {@link reduce}. */
export function createStore(initial: TuiState): Store {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch: (action) => {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
