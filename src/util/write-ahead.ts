/**
 * Writes to one file without waiting for each write before taking the next chunk: each goes out at
 * its own offset, up to a byte budget in flight, so reading the source and writing the copy overlap
 * instead of taking turns. The first failed write fails the next call (and `flush`).
 */
import type { FileHandle } from './fs-async.js';

/** Bytes in flight before {@link WriteAhead.write} waits. */
const DEFAULT_AHEAD_BYTES = 8 * 1024 * 1024;

/** Writes all of `buffer` at `position` (a write may take fewer bytes than it was given). */
async function writeAll(handle: FileHandle, buffer: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < buffer.length;) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    done += bytesWritten;
  }
}

/** Appends to `handle` from offset 0; the caller must not write to it otherwise. */
export class WriteAhead {
  readonly #handle: FileHandle;
  readonly #limit: number;
  readonly #inFlight = new Set<Promise<void>>();
  #position = 0;
  #pending = 0;
  #failure: Error | undefined;

  constructor(handle: FileHandle, limit = DEFAULT_AHEAD_BYTES) {
    this.#handle = handle;
    this.#limit = limit;
  }

  /** Bytes handed to {@link write} so far. */
  get position(): number {
    return this.#position;
  }

  /**
   * Queues `buffer` (which must not change afterwards) after what came before; waits while more than
   * the budget is in flight. Throws the first failure of any write.
   */
  async write(buffer: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    const write = writeAll(this.#handle, buffer, this.#position).then(
      () => {
        this.#pending -= buffer.length;
      },
      (error: unknown) => {
        this.#failure ??= error as Error;
      },
    );
    this.#position += buffer.length;
    this.#pending += buffer.length;
    this.#inFlight.add(write);
    void write.finally(() => this.#inFlight.delete(write));
    while (this.#pending > this.#limit) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
  }

  /** Waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  /** A method, not an inline check: the failure is set by writes that settle while we wait. */
  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Waits for every write, failed or not (before closing the handle on an error path). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
  }
}
