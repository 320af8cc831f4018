/**
 * A second reader of a layer's download: the bytes a pull stores as the blob also go, as they
 * arrive, to the unpack of that layer, so extraction runs while the layer downloads instead of after
 * (docs/embedded-runtime.md#pull). The download waits for the slower of its two readers.
 *
 * The tap never decides what is trusted: the blob is still verified as it is stored, the unpack
 * still checks the diff ID, and the layer is published only after both.
 */
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';

/** How much of the download may wait for the slower reader, per reader. */
const BRANCH_BUFFER = 4 * 1024 * 1024;

/** One download, tapped once. */
export class DownloadTap {
  /** The unpack's branch once the download opened its source; undefined when it never did. */
  readonly opened: Promise<Readable | undefined>;
  #resolve: (stream: Readable | undefined) => void = () => undefined;
  #branch: PassThrough | undefined;
  #detached = false;

  constructor() {
    this.opened = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /**
   * Splits `source`: returns the branch the blob store reads and hands the other to {@link opened}.
   * A second call (a download opened again) is not tapped: the unpack already has its bytes.
   */
  split(source: Readable): Readable {
    if (this.#branch !== undefined || this.#detached) return source;
    const store = new PassThrough({ highWaterMark: BRANCH_BUFFER });
    const unpack = new PassThrough({ highWaterMark: BRANCH_BUFFER });
    this.#branch = unpack;
    const live = (stream: PassThrough) => !stream.destroyed && !(stream === unpack && this.#detached);
    source.on('data', (chunk: Buffer) => {
      const waits: PassThrough[] = [];
      for (const branch of [store, unpack]) if (live(branch) && !branch.write(chunk)) waits.push(branch);
      if (waits.length === 0) return;
      source.pause();
      let pending = waits.length;
      for (const branch of waits) {
        const ready = () => {
          branch.off('drain', ready);
          branch.off('close', ready);
          if (--pending === 0 && !source.destroyed) source.resume();
        };
        branch.on('drain', ready);
        // A reader that stops (the unpack failed, or is no longer wanted) must not stall the other.
        branch.on('close', ready);
      }
    });
    source.once('end', () => {
      store.end();
      if (live(unpack)) unpack.end();
    });
    source.on('error', (error) => {
      store.destroy(error);
      unpack.destroy(error);
    });
    // The download flows from now on, before its two readers attach: an error that comes first is
    // kept by each branch (a reader that attaches later finds it there), not thrown as unhandled.
    for (const branch of [store, unpack]) branch.on('error', () => undefined);
    // The blob store stopped early (no space, an error of its own): the download is over for both.
    store.once('close', () => {
      if (!store.writableFinished) {
        const error = store.errored ?? new Error('the layer download was stopped');
        source.destroy(error);
        unpack.destroy(error);
      }
    });
    this.#resolve(unpack);
    return store;
  }

  /** The download ended (stored, already there, or failed): a tap it never opened gives nothing. */
  settle(): void {
    this.#resolve(undefined);
  }

  /**
   * The unpack is done with the branch (finished, failed, or never needed it): the download goes on
   * for the blob store alone, and a download that never opened resolves {@link opened} as undefined.
   */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#resolve(undefined);
    const branch = this.#branch;
    // Destroying it wakes a download that waits for it to drain.
    if (branch !== undefined && !branch.destroyed) branch.destroy();
  }
}
