/**
 * The environment list as lines: `›` marks the selection, `●`/`○` the state and a tag the drift, so
 * the list reads the same with and without colour.
 */
import type { EnvRow } from './model.js';
import { isRunning } from './model.js';
import { visibleRows } from './store.js';
import type { TuiState } from './store.js';
import { age, cut, pad } from './text.js';
import type { Line } from './text.js';

/** The state glyph and word. */
export function stateGlyph(row: Pick<EnvRow, 'state'>): { glyph: string; word: string } {
  if (isRunning(row)) return { glyph: '●', word: row.state };
  if (row.state === 'absent') return { glyph: '·', word: 'absent' };
  return { glyph: '○', word: row.state === 'exited' ? 'stopped' : row.state };
}

/** The drift tag: `!img` image out of date, `~run` run settings changed, `?cfg` invalid, `✓` in sync. */
export function driftTag(row: Pick<EnvRow, 'drift'>): string {
  switch (row.drift.state) {
    case 'image-stale':
    case 'image-changed':
    case 'not-built':
      return '!img';
    case 'run-changed':
      return '~run';
    case 'config-invalid':
      return '?cfg';
    case 'in-sync':
      return '✓';
    case 'not-created':
    case 'unknown':
      return '';
  }
}

function rowLine(row: EnvRow, selected: boolean, columns: number, now: number): Line {
  const { glyph, word } = stateGlyph(row);
  const tag = driftTag(row);
  const up = isRunning(row) && row.startedAt !== undefined ? age(now - Date.parse(row.startedAt)) : '';
  const wide = columns >= 44;
  const nameWidth = Math.max(6, Math.min(24, columns - (wide ? 30 : 17)));
  const runtime = wide ? ` ${pad(row.runtime, 8)}` : '';
  return [
    { text: selected ? '›' : ' ', bold: true },
    { text: ` ${pad(row.name, nameWidth)} `, inverse: selected, bold: selected },
    { text: glyph, color: isRunning(row) ? 'green' : 'gray' },
    { text: ` ${pad(word, wide ? 8 : 7)}` },
    { text: ` ${pad(tag, 4)}`, color: tag === '✓' ? 'green' : tag === '' ? undefined : 'yellow' },
    { text: `${runtime}${wide ? ` ${up}` : ''}`, color: 'gray' },
  ];
}

/** The list's lines for a box of `columns` × `height` inside its border. */
export function listLines(
  state: Pick<TuiState, 'rows' | 'filter' | 'selected' | 'loaded' | 'now'>,
  columns: number,
  height: number,
): Line[] {
  if (!state.loaded) return [[{ text: 'connecting…', color: 'gray' }]];
  const rows = visibleRows(state);
  if (rows.length === 0)
    return [
      [
        {
          text:
            state.filter === ''
              ? 'no environments yet; b builds this project'
              : `nothing matches "${state.filter}"`,
          color: 'gray',
        },
      ],
    ];
  const lines: { line: Line; key?: string }[] = [];
  let others = false;
  for (const row of rows) {
    if (!row.mine && !others) {
      others = true;
      if (lines.length > 0)
        lines.push({ line: [{ text: cut('  ─ other projects ─', columns), color: 'gray' }] });
    }
    lines.push({ line: rowLine(row, row.key === state.selected, columns, state.now), key: row.key });
  }
  // Scroll so the selection stays in view.
  const at = lines.findIndex((l) => l.key === state.selected);
  const first = Math.max(0, Math.min(at - Math.floor(height / 2), lines.length - height));
  return lines.slice(first, first + height).map((l) => l.line);
}
