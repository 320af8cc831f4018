/**
 * Hands verdicts to a handler one at a time, and holds them while the user is attached: nothing is
 * rebuilt under someone working in the container, and the prompt waits until they detach. Only the
 * latest verdict waits, since each one describes the project as it is now, superseding the ones
 * before it.
 */
import type { WatchVerdict } from './verdict.js';

export class VerdictQueue {
  readonly #handle: (verdict: WatchVerdict) => Promise<void>;
  #waiting: WatchVerdict | undefined;
  #held = false;
  #running: Promise<void> | undefined;

  /** `handle` shows or applies one verdict; a rejection ends nothing here, the handler reports it. */
  constructor(handle: (verdict: WatchVerdict) => Promise<void>) {
    this.#handle = handle;
  }

  /** Takes a verdict: handled now, or after the one being handled, or once released. */
  push(verdict: WatchVerdict): void {
    this.#waiting = verdict;
    this.#next();
  }

  /** While held (the user is attached), verdicts wait. */
  hold(): void {
    this.#held = true;
  }

  /** Handles the verdict that waited, if any. */
  release(): void {
    this.#held = false;
    this.#next();
  }

  /** Whether a verdict waits for {@link release}. */
  get pending(): boolean {
    return this.#waiting !== undefined;
  }

  /** Resolves when no verdict is being handled. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #next(): void {
    if (this.#held || this.#running !== undefined) return;
    const verdict = this.#waiting;
    if (verdict === undefined) return;
    this.#waiting = undefined;
    this.#running = this.#handle(verdict)
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
        this.#next();
      });
  }
}
