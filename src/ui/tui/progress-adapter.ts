/**
 * Turns a job's runtime events into the few lines the progress pane shows. This is the one place
 * that knows the event shapes, so a richer progress model replaces it without touching the views.
 */
import type { RuntimeEvent } from '../../runtime/events.js';

/** Lines the pane keeps per job. */
export const PROGRESS_LINES = 3;

/** The progress of one job, as lines; `add` folds in one event. */
export class JobProgress {
  private readonly lines: string[] = [];
  private readonly transfers = new Map<string, string>();

  add(event: RuntimeEvent): void {
    switch (event.type) {
      case 'build:step':
        this.push(
          `step ${event.step}/${event.total} ${event.instruction}${event.cached === true ? ' (cached)' : ''}`,
        );
        return;
      case 'build:step-end':
        return;
      case 'build:output':
        this.push(`  ${event.line}`);
        return;
      case 'transfer:progress': {
        const total = event.total === undefined ? '' : `/${megabytes(event.total)}`;
        this.transfers.set(
          event.id,
          `${event.action} ${event.id.slice(0, 19)} ${megabytes(event.current)}${total}`,
        );
        this.replaceTransfer(event.id);
        return;
      }
      case 'transfer:done':
        this.transfers.set(
          event.id,
          `${event.action} ${event.id.slice(0, 19)} ${event.skipped === true ? 'already there' : 'done'}`,
        );
        this.replaceTransfer(event.id);
        return;
      case 'info':
        this.push(event.message);
        return;
      case 'warning':
        this.push(`warning: ${event.message}`);
        return;
    }
  }

  /** The newest lines, oldest first. */
  view(): string[] {
    return this.lines.slice(-PROGRESS_LINES);
  }

  /** The last warning, for a dialog that must repeat what will be lost. */
  lastWarning(): string | undefined {
    return [...this.lines]
      .reverse()
      .find((l) => l.startsWith('warning: '))
      ?.slice('warning: '.length);
  }

  private replaceTransfer(id: string): void {
    const line = this.transfers.get(id) ?? '';
    const prefix = line.split(' ').slice(0, 2).join(' ');
    const at = this.lines.findIndex((l) => l.startsWith(`${prefix} `));
    if (at >= 0) this.lines[at] = line;
    else this.push(line);
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 50) this.lines.splice(0, this.lines.length - 50);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
