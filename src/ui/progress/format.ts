/** Small pieces of progress lines: sizes, rates, clocks, a bar, and fitting a line to a width. */

const UNITS = [
  { size: 1e9, name: 'GB' },
  { size: 1e6, name: 'MB' },
  { size: 1e3, name: 'kB' },
] as const;

/** `41.2 MB`, or with a total `41.2/96.0 MB` (both in the total's unit); decimal units as docker. */
export function formatBytes(bytes: number, total?: number): string {
  const unit = UNITS.find((u) => (total ?? bytes) >= u.size);
  if (unit === undefined) return total === undefined ? `${bytes} B` : `${bytes}/${total} B`;
  const scaled = (n: number) => (n / unit.size).toFixed(1);
  return total === undefined
    ? `${scaled(bytes)} ${unit.name}`
    : `${scaled(bytes)}/${scaled(total)} ${unit.name}`;
}

/** `8.1 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `00:42` or `1:02:03`; with `short`, `7s`, `1m05s` or `2h03m` (for an ETA). */
export function formatClock(ms: number, short = false): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (short) return h > 0 ? `${h}h${two(m)}m` : m > 0 ? `${m}m${two(s)}s` : `${s}s`;
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** `███████░░░` for `fraction` of `cells`. */
export function progressBar(fraction: number, cells: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * cells);
  return '█'.repeat(filled) + '░'.repeat(cells - filled);
}

/**
 * Joins `parts` with spaces within `width` characters: the last parts (the least important: rate,
 * ETA, clock) go first, and a first part still too wide is cut with an ellipsis.
 */
export function fitLine(parts: readonly string[], width: number): string {
  if (width <= 0) return '';
  const kept = [...parts];
  while (kept.length > 1 && kept.join(' ').length > width) kept.pop();
  const line = kept.join(' ');
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
