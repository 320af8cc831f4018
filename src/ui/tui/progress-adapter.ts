/**
 * Turns a job's runtime events into the few lines the progress pane shows: the shared progress
 * model (the same lines the terminal's live area draws: step, bytes, rate, ETA) followed by the
 * newest output line. This is the one place that knows the event shapes.
 */
import type { RuntimeEvent } from '../../runtime/events.js';
import { emptyProgress, progressLines, reduceProgress } from '../progress/progress-state.js';
import type { ProgressState } from '../progress/progress-state.js';

/** Lines the pane keeps per job. */
export const PROGRESS_LINES = 3;

/** The progress of one job, as lines; `add` folds in one event. */
export class JobProgress {
  private state: ProgressState = emptyProgress();
  private readonly output: string[] = [];
  private warning: string | undefined;

  add(event: RuntimeEvent, now = Date.now()): void {
    if (event.type === 'build:output' || event.type === 'info') {
      this.output.push(event.type === 'info' ? event.message : `  ${event.line}`);
      if (this.output.length > 50) this.output.splice(0, this.output.length - 50);
      return;
    }
    if (event.type === 'warning') {
      this.warning = event.message;
      this.output.push(`warning: ${event.message}`);
      return;
    }
    this.state = reduceProgress(this.state, event, now);
  }

  /** The newest lines, oldest first, none wider than `width`. */
  view(width = 100, now = Date.now()): string[] {
    const model = progressLines(this.state, width, now).filter((l) => l.trim() !== '');
    const last = this.output.at(-1);
    return [...model, ...(last === undefined ? [] : [last])].slice(-PROGRESS_LINES);
  }

  /** The last warning, for a dialog that must repeat what will be lost. */
  lastWarning(): string | undefined {
    return this.warning;
  }
}
