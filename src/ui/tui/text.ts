/**
 * Screen lines as data: a line is a list of styled segments, cut to a width before it is rendered,
 * so nothing ever wraps and every view can be tested as text.
 */

/** A run of text with one style. Colours are dropped when the theme has none. */
export interface Segment {
  text: string;
  color?: 'green' | 'red' | 'yellow' | 'cyan' | 'gray' | 'magenta' | undefined;
  bold?: boolean | undefined;
  inverse?: boolean | undefined;
}

export type Line = Segment[];

/** A plain line. */
export function plain(text: string): Line {
  return [{ text }];
}

/** Characters in `text` (code points; the glyphs used here are one column wide). */
export function width(text: string): number {
  return Array.from(text).length;
}

/** `text` cut to `columns`, ending in `…` when cut. */
export function cut(text: string, columns: number): string {
  const chars = Array.from(text);
  if (chars.length <= columns) return text;
  if (columns <= 0) return '';
  return `${chars.slice(0, columns - 1).join('')}…`;
}

/** `text` cut or padded with spaces to exactly `columns`. */
export function pad(text: string, columns: number): string {
  const fitted = cut(text, columns);
  return fitted + ' '.repeat(Math.max(0, columns - width(fitted)));
}

/** A line cut and padded to exactly `columns`, keeping the styles of what is left. */
export function fitLine(line: Line, columns: number): Line {
  const out: Line = [];
  let left = columns;
  for (const segment of line) {
    if (left <= 0) break;
    const w = width(segment.text);
    if (w <= left) {
      out.push(segment);
      left -= w;
    } else {
      out.push({ ...segment, text: cut(segment.text, left) });
      left = 0;
    }
  }
  if (left > 0) out.push({ text: ' '.repeat(left) });
  return out;
}

/** The text of a line without styles. */
export function textOf(line: Line): string {
  return line.map((s) => s.text).join('');
}

/** A short age: `45s`, `12m`, `3h`, `2d`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
