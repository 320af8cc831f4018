/**
 * Where a downloaded blob goes. The client writes every byte to `writable`, then calls exactly one of
 * `commit` (size and digest matched) or `discard` (anything failed), so a blob becomes visible under
 * its final name only when it is verified (reliability rule 1).
 */
import { open, rename, rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { failpoint } from '../../../util/failpoint.js';
import { isNoSpace } from '../../../util/no-space.js';
import { syncDir, tempNameFor } from '../../../util/atomic.js';

/** A caller-supplied destination for one blob. */
export interface BlobSink {
  /** Receives the bytes in order; the client ends it, or destroys it on failure. */
  readonly writable: Writable;
  /** Called once after the writable finished and the content was verified. */
  commit(): Promise<void>;
  /** Called once after a failure, after the writable was destroyed: remove what was written. */
  discard(): Promise<void>;
}

/**
 * Pipes verified-while-flowing `chunks` into `sink`; commits only if the chunks ended without error.
 * A full disk while writing `what` becomes `DEVENV_NO_SPACE` naming it (reliability D1/D5).
 */
export async function drainInto(
  chunks: AsyncIterable<Uint8Array>,
  sink: BlobSink,
  what: string,
  size: number,
): Promise<void> {
  try {
    await pipeline(Readable.from(chunks, { objectMode: false }), sink.writable);
    await failpoint('registry.blob.before-commit');
  } catch (error) {
    sink.writable.destroy();
    await sink.discard();
    if (isNoSpace(error))
      throw new DevenvError('DEVENV_NO_SPACE', `no space left on device writing ${what} (${size} bytes)`, {
        hint: 'free some disk space (devenv prune) and retry',
        cause: error,
      });
    throw error;
  }
  await sink.commit();
}

/**
 * A sink writing to a temp file next to `finalPath` that is fsynced and renamed into place on commit
 * (then the folder fsynced) and removed on discard. The folder must exist.
 */
export async function fileSink(finalPath: string, mode = 0o444): Promise<BlobSink> {
  const temp = tempNameFor(finalPath);
  const handle = await open(temp, 'wx', 0o600);
  // A plain Writable over the handle: fs write streams with autoClose off never emit 'close', which
  // pipeline would wait for, and we need the handle open for fsync after the last write.
  const writable = new Writable({
    write(chunk: Uint8Array, _encoding, callback) {
      handle.write(chunk).then(() => {
        callback();
      }, callback);
    },
  });
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    writable,
    async commit() {
      await handle.sync();
      await handle.chmod(mode);
      await close();
      await rename(temp, finalPath);
      await syncDir(path.dirname(finalPath));
    },
    async discard() {
      await close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}
