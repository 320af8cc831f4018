/**
 * Plain output: human lines and progress on stderr, results on stdout, `--json` documents, colours
 * only on a terminal and never with NO_COLOR.
 */
import type { Writable } from 'node:stream';
import type { Diagnostic } from '../../config/diagnostic.js';
import { formatLocation, formatPath } from '../../config/diagnostic.js';

/** The streams a command writes to. */
export interface OutputStreams {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

type Style = 'red' | 'yellow' | 'green' | 'dim' | 'bold' | 'cyan';
const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  dim: [2, 22],
  bold: [1, 22],
  cyan: [36, 39],
};

/** Writes lines to the two streams, styled when `color` is on. */
export class PlainOutput {
  readonly streams: OutputStreams;
  readonly color: boolean;

  constructor(streams: OutputStreams, color: boolean) {
    this.streams = streams;
    this.color = color;
  }

  /** Applies a style when colour is on. */
  style(style: Style, text: string): string {
    if (!this.color) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A result on stdout (a Dockerfile, a list, a JSON document). */
  result(text: string): void {
    this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One JSON document on stdout. */
  json(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A human line on stderr. */
  info(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.streams.stderr.write(`${this.style('yellow', 'warning:')} ${text}\n`);
  }

  error(message: string, hint?: string): void {
    this.streams.stderr.write(`${this.style('red', 'error:')} ${message}\n`);
    if (hint !== undefined) this.streams.stderr.write(`  ${this.style('dim', 'hint:')} ${hint}\n`);
  }

  /** Diagnostics in `file:line:col: severity: field: message` form, each with its hint. */
  diagnostics(list: readonly Diagnostic[]): void {
    for (const d of list) {
      const where = formatLocation(d);
      const label = d.severity === 'error' ? this.style('red', 'error:') : this.style('yellow', 'warning:');
      const field = d.path.length > 0 ? `${this.style('bold', formatPath(d.path))}: ` : '';
      const more = d.repeats === undefined ? '' : ` (…and ${d.repeats} more like it)`;
      this.streams.stderr.write(`${where === '' ? '' : `${where}: `}${label} ${field}${d.message}${more}\n`);
      if (d.hint !== undefined) this.streams.stderr.write(`  ${this.style('dim', 'hint:')} ${d.hint}\n`);
    }
  }
}

/** Colour on a terminal unless NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}
