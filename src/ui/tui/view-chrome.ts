/** The lines around the panes: heading, watch banner, progress, status, hint bar, help, dialogs. */
import { contextsFor, helpLines, hintsFor } from './keymap.js';
import type { Dialog, Job, PendingChange, TuiState } from './store.js';
import { cut, pad, width } from './text.js';
import type { Line } from './text.js';

/** Where the keyboard is, for the key map. */
export function keyPlace(
  state: Pick<TuiState, 'help' | 'focus' | 'tab'>,
): 'list' | 'detail' | 'logs' | 'plan' | 'help' {
  if (state.help) return 'help';
  return state.focus === 'list' ? 'list' : state.tab;
}

/** `devenv · docker · ~/src/api` on the left, jobs and help on the right. */
export function headerLine(state: Pick<TuiState, 'title' | 'jobs'>, columns: number): Line {
  const right = `${state.jobs.length > 0 ? `jobs ${state.jobs.length} · ` : ''}? help`;
  const left = cut(`devenv · ${state.title}`, Math.max(0, columns - width(right) - 1));
  return [
    { text: pad(left, columns - width(right)), bold: true },
    { text: right, color: 'gray' },
  ];
}

/** The hint bar: the keys of where the keyboard is, as many as fit. */
export function hintLine(state: TuiState, columns: number): Line {
  let hints: string[];
  if (state.dialog !== undefined)
    hints =
      state.dialog.kind === 'confirm'
        ? ['y yes', 'n no', 'esc cancel']
        : ['⏎ ok', 'tab next field', 'esc cancel'];
  else if (state.entry !== undefined) hints = ['type to ' + state.entry.kind, '⏎ done', 'esc clear'];
  else hints = hintsFor(contextsFor(keyPlace(state)));
  let text = '';
  for (const hint of hints) {
    const next = text === '' ? ` ${hint}` : `${text} · ${hint}`;
    if (width(next) > columns) break;
    text = next;
  }
  return [{ text: pad(text, columns), color: 'cyan' }];
}

/** The banner of a pending devenv.yml change, with its keys. */
export function bannerLine(change: PendingChange, suspended: boolean, columns: number): Line {
  const keys =
    change.verdict === 'rebuild'
      ? 'b rebuild · p plan · i ignore'
      : change.verdict === 'recreate'
        ? 'r recreate (keeps volumes) · i ignore'
        : 'o edit · i ignore';
  const text = `${change.message}${suspended ? ' (shown when you return)' : `  ${keys}`}`;
  return [
    { text: pad(` ${text}`, columns), color: change.verdict === 'invalid' ? 'red' : 'yellow', bold: true },
  ];
}

/** The status line: the last result, or an error with its hint. */
export function noticeLine(notice: NonNullable<TuiState['notice']>, columns: number): Line {
  const text = notice.hint === undefined ? notice.text : `${notice.text} — ${notice.hint}`;
  return [
    {
      text: pad(` ${notice.kind === 'error' ? '✗ ' : ''}${text}`, columns),
      color: notice.kind === 'error' ? 'red' : 'green',
    },
  ];
}

/** The progress pane's lines: one heading per job, then its newest lines, `max` in all. */
export function progressLines(jobs: readonly Job[], max: number): Line[] {
  const lines: Line[] = [];
  for (const job of jobs) {
    lines.push([
      { text: `${job.title}…`, bold: true },
      { text: '  c cancel', color: 'gray' },
    ]);
    for (const l of job.lines) lines.push([{ text: `  ${l}` }]);
  }
  return max <= 1 ? lines.slice(0, 1) : lines.slice(-max);
}

/** The `?` overlay: the key map table, one binding a line. */
export function helpOverlay(): Line[] {
  let context = '';
  const lines: Line[] = [];
  for (const entry of helpLines()) {
    if (entry.context !== context) {
      context = entry.context;
      lines.push([{ text: context === 'main' ? 'everywhere' : `in the ${context}`, bold: true }]);
    }
    lines.push([{ text: `  ${pad(entry.keys, 16)}`, color: 'cyan' }, { text: entry.label }]);
  }
  return lines;
}

/** A dialog's lines: what it asks, then its fields (the focused one marked `›`). */
export function dialogLines(dialog: Dialog): Line[] {
  const lines: Line[] = dialog.lines.map((l) => [{ text: l }]);
  if (dialog.kind === 'confirm') return [...lines, [], [{ text: 'y yes · n no', bold: true }]];
  const values = dialog.fields.map((f) => f.value);
  const problem = dialog.check(values);
  return [
    ...lines,
    [],
    ...dialog.fields.map((f, i): Line => [
      { text: i === dialog.focus ? '› ' : '  ', bold: true },
      { text: `${f.label}: `, color: 'cyan' },
      { text: `${f.value}${i === dialog.focus ? '▏' : ''}`, bold: i === dialog.focus },
    ]),
    ...(problem === undefined ? [] : [[{ text: problem, color: 'yellow' as const }]]),
  ];
}
