/**
 * `devenv attach` on the embedded runtime: joins the main session over the monitor's attach socket
 * with the caller's terminal, until the main process exits, the user types the detach keys or the
 * monitor goes away (docs/embedded-runtime.md#attach-and-logs).
 */
import net from 'node:net';
import { DevenvError } from '../../../errors.js';
import type { Stdio } from '../../runtime.js';
import { holdTerminal } from '../../terminal-hold.js';
import {
  FrameDecoder,
  FrameType,
  PROTOCOL_VERSION,
  decodeExit,
  decodeHello,
  encodeData,
  encodeFrame,
  encodeHello,
  encodeResize,
} from './attach-protocol.js';
import type { Frame } from './attach-protocol.js';
import { DetachMatcher } from './detach-keys.js';

/**
 * How an attach ended: the main process exited with `status`, the user detached, or the socket
 * closed without saying (the monitor died; the caller reads the container's state to tell).
 */
export type AttachOutcome = { kind: 'exited'; status: number } | { kind: 'detached' } | { kind: 'closed' };

/**
 * Attaches `stdio` to the session served at `socketPath`. A terminal on stdin is put in raw mode
 * and given back as it was on every way out. When stdin ends (input from a file or `/dev/null`) the
 * client keeps showing output until the process exits or the socket closes, as `docker attach`
 * does. Every listener it adds to the streams is removed again, since the caller may go on using
 * them.
 */
export async function attachClient(options: {
  socketPath: string;
  stdio: Stdio;
  detachKeys: Buffer;
}): Promise<AttachOutcome> {
  const { socketPath, stdio } = options;
  const socket = await connect(socketPath);
  const { stdin, stdout } = stdio;
  const terminal = holdTerminal(stdin, true);
  const { listen } = terminal;
  try {
    return await new Promise<AttachOutcome>((resolve, reject) => {
      const matcher = new DetachMatcher(options.detachKeys);
      const decoder = new FrameDecoder();
      let welcomed = false;
      let draining = false;
      const onDrain = (): void => {
        draining = false;
        socket.resume();
      };
      terminal.onRelease(() => stdout.off('drain', onDrain));

      const sendSize = (): void => {
        if (stdout.rows !== undefined && stdout.columns !== undefined) {
          socket.write(encodeResize(stdout.rows, stdout.columns));
        }
      };

      const onFrame = (frame: Frame): void => {
        switch (frame.type) {
          case FrameType.hello: {
            const hello = decodeHello(frame.payload);
            if (hello?.version !== PROTOCOL_VERSION) {
              reject(failure(socketPath, `the monitor answered with an unknown protocol`));
              return;
            }
            welcomed = true;
            return;
          }
          case FrameType.data:
            if (welcomed && !stdout.write(frame.payload) && !draining) {
              // A terminal that cannot keep up slows the socket down rather than filling memory.
              draining = true;
              socket.pause();
              stdout.once('drain', onDrain);
            }
            return;
          case FrameType.exit: {
            const status = decodeExit(frame.payload);
            if (status === undefined) reject(failure(socketPath, 'the monitor sent a malformed exit status'));
            else resolve({ kind: 'exited', status });
            return;
          }
          case FrameType.error: {
            reject(failure(socketPath, frame.payload.toString('utf8')));
            return;
          }
          default: {
            reject(failure(socketPath, `the monitor sent an unknown frame type ${frame.type}`));
            return;
          }
        }
      };

      listen(socket, 'data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (error) {
          reject(failure(socketPath, (error as Error).message));
          return;
        }
        for (const frame of frames) onFrame(frame);
      });
      listen(socket, 'close', () => {
        resolve({ kind: 'closed' });
      });
      // After connecting, a broken socket means the monitor went away: the same as a close.
      listen(socket, 'error', () => {
        resolve({ kind: 'closed' });
      });
      listen(stdin, 'data', (chunk: Buffer | string) => {
        const { forward, detach } = matcher.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        for (const frame of encodeData(forward)) socket.write(frame);
        if (detach) {
          socket.write(encodeFrame(FrameType.detach));
          resolve({ kind: 'detached' });
        }
      });
      listen(stdout, 'resize', sendSize);

      socket.write(encodeHello({ version: PROTOCOL_VERSION, mode: 'attach' }));
      sendSize();
      stdin.resume();
    });
  } finally {
    terminal.release();
    await hangUp(socket);
  }
}

/**
 * Ends the connection after what was written (the detach frame, the last keys typed) has gone out,
 * waiting a second at most: the monitor may be gone.
 */
async function hangUp(socket: net.Socket): Promise<void> {
  if (!socket.destroyed) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }
  socket.destroy();
}

function failure(socketPath: string, reason: string): DevenvError {
  return new DevenvError('DEVENV_RUNTIME_FAILED', `attach through ${socketPath} failed: ${reason}`, {
    hint: 'Check the container with `devenv status`; `devenv logs` shows what its session printed.',
  });
}

/** A connected socket, or a clear error when no monitor listens there. */
function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      const absent = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      reject(
        new DevenvError(
          'DEVENV_RUNTIME_FAILED',
          absent
            ? `no session to attach to: nothing listens on ${socketPath} (${error.code})`
            : `cannot connect to ${socketPath}: ${error.message}`,
          {
            hint: absent
              ? 'The container is not running (its monitor is gone); start it with `devenv up` or `devenv start`.'
              : 'Check that you may open the container folder (the embedded store needs the same user that made it).',
            cause: error,
          },
        ),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
