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

/**
 * How human lines on stderr come out: as text, as one JSON object per line (`--progress=json`, so
 * every line of stderr parses), or only warnings and errors (`--progress=quiet`).
 */
export type LineMode = 'text' | 'json' | 'quiet';

/**
 * A live area drawn below the last line on stderr (the terminal progress reporter): cleared before
 * any other output so lines never mix with it, and drawn again after.
 */
export interface LiveArea {
  clear(): void;
  redraw(): void;
}

/** Writes lines to the two streams, styled when `color` is on. */
export class PlainOutput {
  readonly streams: OutputStreams;
  readonly color: boolean;
  lineMode: LineMode = 'text';
  private live: LiveArea | undefined;

  constructor(streams: OutputStreams, color: boolean) {
    this.streams = streams;
    this.color = color;
  }

  /** Keeps `area` out of the way of every line written from now on; undefined detaches it. */
  attachLiveArea(area: LiveArea | undefined): void {
    this.live = area;
  }

  private write(stream: Writable, text: string): void {
    this.live?.clear();
    stream.write(text);
    this.live?.redraw();
  }

  /** One JSON object on a line of stderr, in the `json` line mode. */
  jsonLine(value: unknown): void {
    this.write(this.streams.stderr, `${JSON.stringify(value)}\n`);
  }

  /** Applies a style when colour is on. */
  style(style: Style, text: string): string {
    if (!this.color) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A result on stdout (a Dockerfile, a list, a JSON document). */
  result(text: string): void {
    this.write(this.streams.stdout, text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One JSON document on stdout. */
  json(value: unknown): void {
    this.write(this.streams.stdout, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** A human line on stderr. */
  info(text: string): void {
    if (this.lineMode === 'json') this.jsonLine({ type: 'info', message: stripStyle(text) });
    else if (this.lineMode === 'text') this.write(this.streams.stderr, `${text}\n`);
  }

  warn(text: string): void {
    if (this.lineMode === 'json') this.jsonLine({ type: 'warning', message: text });
    else this.write(this.streams.stderr, `${this.style('yellow', 'warning:')} ${text}\n`);
  }

  error(message: string, hint?: string): void {
    if (this.lineMode === 'json') {
      this.jsonLine({ type: 'error', message, hint });
      return;
    }
    const hinted = hint === undefined ? '' : `  ${this.style('dim', 'hint:')} ${hint}\n`;
    this.write(this.streams.stderr, `${this.style('red', 'error:')} ${message}\n${hinted}`);
  }

  /** Diagnostics in `file:line:col: severity: field: message` form, each with its hint. */
  diagnostics(list: readonly Diagnostic[]): void {
    for (const d of list) {
      if (this.lineMode === 'json') {
        this.jsonLine({ type: 'diagnostic', ...d });
        continue;
      }
      const where = formatLocation(d);
      const label = d.severity === 'error' ? this.style('red', 'error:') : this.style('yellow', 'warning:');
      const field = d.path.length > 0 ? `${this.style('bold', formatPath(d.path))}: ` : '';
      const more = d.repeats === undefined ? '' : ` (…and ${d.repeats} more like it)`;
      const hint = d.hint === undefined ? '' : `  ${this.style('dim', 'hint:')} ${d.hint}\n`;
      this.write(
        this.streams.stderr,
        `${where === '' ? '' : `${where}: `}${label} ${field}${d.message}${more}\n${hint}`,
      );
    }
  }
}

/** `text` without colour codes (a styled line going out as JSON). */
function stripStyle(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
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
