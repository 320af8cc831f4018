/**
 * A helper process that signals it is ready by printing its first line, as the private-namespace
 * shells of the embedded runtime do (an overlay mount, a sandbox's holder): wait for that line or
 * for the process to end, whichever comes first, keeping its stderr for the error message.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** What {@link awaitReady} learned. */
export interface ReadyChild {
  /** False when the process ended (or failed to start) before printing anything. */
  ready: boolean;
  /** Resolves with the exit code once the process has ended (-1 when it did not start or died of a signal). */
  exited: Promise<number>;
  /** Everything the process wrote to stderr so far. */
  stderr: () => string;
}

/** Waits for `child`'s first output on stdout; see {@link ReadyChild}. */
export async function awaitReady(
  child: ChildProcessByStdio<Writable, Readable, Readable>,
): Promise<ReadyChild> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => {
      resolve(-1);
    });
    child.once('close', (code) => {
      resolve(code ?? -1);
    });
  });
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.once('data', () => {
      resolve(true);
    });
    void exited.then(() => {
      resolve(false);
    });
  });
  return { ready: ready && child.pid !== undefined, exited, stderr: () => stderr };
}
