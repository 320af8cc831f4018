/**
 * A capped ring of log lines. A container can print gigabytes; the logs pane keeps only the last
 * lines, each cut to a length the screen can use, so a huge log or a single 90 kB line never costs
 * more than a bounded amount of memory and render time.
 */

/** Lines kept per environment. */
export const LOG_LINES = 2000;
/** Characters kept of one line; the rest is replaced by `…`. */
export const LOG_LINE_CHARS = 512;

export class LogBuffer {
  private readonly lines: string[] = [];
  private start = 0;
  private partial = '';
  /** Counts every line ever added, so views can tell that the buffer moved on. */
  added = 0;

  constructor(private readonly capacity = LOG_LINES) {}

  /** Adds a chunk of output; a line without its newline yet waits for the next chunk. */
  write(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > LOG_LINE_CHARS * 4) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) this.push(line);
  }

  private push(raw: string): void {
    // eslint-disable-next-line no-control-regex -- escapes and carriage returns would move the cursor
    const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g, '');
    const cut = line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS - 1)}…` : line;
    if (this.lines.length < this.capacity) this.lines.push(cut);
    else {
      this.lines[this.start] = cut;
      this.start = (this.start + 1) % this.capacity;
    }
    this.added++;
  }

  get length(): number {
    return this.lines.length;
  }

  /** The kept lines, oldest first. */
  all(): string[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}
