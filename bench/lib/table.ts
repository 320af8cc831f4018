/** The results table: one per module, columns aligned, the same figures the JSON report holds. */
import type { Row } from './types.js';

/** `devenv / peer`, or undefined when either side is missing. */
export function ratioOf(row: Row): number | undefined {
  if (row.devenvMs === undefined || row.peerMs === undefined || row.peerMs === 0) return undefined;
  return row.devenvMs / row.peerMs;
}

/** Milliseconds as a person reads them: `42.1 ms`, `1.84 s`. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** A figure of `row` in its unit. */
function formatFigure(row: Row, value: number | undefined): string {
  if (value === undefined || row.unit === undefined || row.unit === 'ms') return formatMs(value);
  if (row.unit === 'MB' || row.unit === 'MiB') return `${value.toFixed(1)} ${row.unit}`;
  return `${value.toFixed(2)} %`;
}

function cells(row: Row): string[] {
  const ratio = ratioOf(row);
  const failed = row.error === undefined ? undefined : 'FAILED';
  const peerMedian =
    row.peerUnavailable !== undefined
      ? `peer unavailable: ${row.peerUnavailable}`
      : (failed ?? formatFigure(row, row.peerMs));
  return [
    row.benchmark,
    row.devenvMs === undefined ? (failed ?? '-') : formatFigure(row, row.devenvMs),
    row.peer,
    peerMedian,
    ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
  ];
}

/** Renders a titled table with the columns benchmark | devenv median | peer | peer median | ratio. */
export function renderTable(title: string, rows: readonly Row[]): string {
  const header = ['benchmark', 'devenv median', 'peer', 'peer median', 'ratio (devenv/peer)'];
  const body = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]?.length ?? 0)));
  // Figures line up on the right; words (peer names, "peer unavailable: …") on the left.
  const figure = /^(-|[\d.]+ (ms|s|MB|MiB|%)|[\d.]+x|FAILED)$/;
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (figure.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 1 || i === 3 || i === 4 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const errors = rows.flatMap((r) => (r.error === undefined ? [] : [`FAILED ${r.benchmark}: ${r.error}`]));
  const notes = errors.length === 0 ? [] : ['', ...errors];
  return [`## ${title}`, '', line(header), rule, ...body.map(line), ...notes].join('\n');
}
