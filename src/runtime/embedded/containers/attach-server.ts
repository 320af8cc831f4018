/**
 * The monitor's attach socket: any number of clients share the container's main session. Each new
 * client gets the recent output, then the live stream; what any client types reaches the pty; the
 * last size sent wins; when the main process ends every client gets its status
 * (docs/embedded-runtime.md#attach-and-logs).
 */
import { chmod, lstat, unlink } from '../../../util/fs-async.js';
import net from 'node:net';
import { DevenvError } from '../../../errors.js';
import {
  FrameDecoder,
  FrameType,
  PROTOCOL_VERSION,
  decodeHello,
  decodeResize,
  encodeData,
  encodeError,
  encodeExit,
  encodeHello,
} from './attach-protocol.js';
import type { Frame } from './attach-protocol.js';
import type { MainSession } from './main-session.js';

/** Output a new client is shown first: enough to redraw a full screen or two. */
export const DEFAULT_SNAPSHOT_BYTES = 256 * 1024;

/**
 * Output queued for one client before it counts as stuck and is dropped. The session never waits
 * for a client, so without a bound a client that stops reading would grow the monitor forever.
 */
export const CLIENT_QUEUE_LIMIT = 4 * 1024 * 1024;

/** The last `capacity` bytes written to it. */
class OutputRing {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Buffer): void {
    if (this.capacity <= 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.capacity) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const excess = this.bytes - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
  }

  contents(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }
}

/** One connection, from its `hello` on. */
interface Client {
  socket: net.Socket;
  /** True once its `hello` was answered; only then does it get output. */
  joined: boolean;
}

/**
 * Listens on `socketPath` for attach clients of `session`. The caller made the socket's folder
 * (0700) and holds the container's lock, so a socket file already there is left over from a monitor
 * that died and is replaced; anything else at that path is refused.
 */
export async function serveAttach(options: {
  socketPath: string;
  session: MainSession;
  snapshotBytes?: number;
  /**
   * What a new client gets of the output before it joined: `all` the ring buffer, `line` only the
   * line the session is on (the prompt, as `docker attach` shows it after its redraw). Default `all`.
   */
  snapshot?: 'all' | 'line' | undefined;
}): Promise<{ close(): Promise<void> }> {
  const { socketPath, session } = options;
  await removeStaleSocket(socketPath);
  const ring = new OutputRing(options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES);
  const clients = new Set<Client>();
  // Every open connection, including ones being refused or ended, so that close() ends them all.
  const sockets = new Set<net.Socket>();
  let exitStatus: number | undefined;
  let resizing = Promise.resolve();

  const send = (client: Client, frames: Buffer[]): void => {
    if (client.socket.destroyed || client.socket.writableEnded) return;
    for (const frame of frames) client.socket.write(frame);
    if (client.socket.writableLength > CLIENT_QUEUE_LIMIT) client.socket.destroy();
  };

  const stopOutput = session.onOutput((chunk) => {
    ring.push(chunk);
    const frames = encodeData(chunk);
    for (const client of clients) if (client.joined) send(client, frames);
  });

  const finish = (client: Client, status: number): void => {
    send(client, [encodeExit(status)]);
    client.socket.end();
    clients.delete(client);
  };

  const refuse = (client: Client, message: string): void => {
    send(client, [encodeError(message)]);
    client.socket.end();
    clients.delete(client);
  };

  const onFrame = (client: Client, frame: Frame): void => {
    if (!client.joined) {
      const hello = frame.type === FrameType.hello ? decodeHello(frame.payload) : undefined;
      if (hello === undefined) {
        refuse(client, 'expected a hello frame first');
        return;
      }
      if (hello.version !== PROTOCOL_VERSION || hello.mode !== 'attach') {
        refuse(
          client,
          `attach protocol ${JSON.stringify(hello.version)} (mode ${JSON.stringify(hello.mode)}) is not ` +
            `supported; this monitor speaks version ${PROTOCOL_VERSION}, mode "attach"`,
        );
        return;
      }
      client.joined = true;
      const before = ring.contents();
      const shown = options.snapshot === 'line' ? before.subarray(before.lastIndexOf(0x0a) + 1) : before;
      send(client, [encodeHello({ version: PROTOCOL_VERSION }), ...encodeData(shown)]);
      if (exitStatus !== undefined) finish(client, exitStatus);
      return;
    }
    switch (frame.type) {
      case FrameType.data:
        if (exitStatus === undefined) session.write(frame.payload);
        return;
      case FrameType.resize: {
        const size = decodeResize(frame.payload);
        if (size === undefined) {
          refuse(client, 'a resize frame carries 4 bytes');
          return;
        }
        // Zero is what a client without a terminal size would send; keep the size there is.
        if (size.rows === 0 || size.cols === 0 || exitStatus !== undefined) return;
        // One at a time, in arrival order, so the last size sent is the one that stays. A failed
        // resize leaves the old size, which the session survives.
        resizing = resizing.then(() => session.resize(size.rows, size.cols)).catch(() => undefined);
        return;
      }
      case FrameType.detach:
        clients.delete(client);
        client.socket.end();
        return;
      default: {
        refuse(client, `unknown frame type ${frame.type}`);
        return;
      }
    }
  };

  const server = net.createServer((socket) => {
    const client: Client = { socket, joined: false };
    clients.add(client);
    sockets.add(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        refuse(client, (error as Error).message);
        return;
      }
      for (const frame of frames) {
        if (!clients.has(client)) return;
        onFrame(client, frame);
      }
    });
    // A client that vanishes (reset, killed) is simply gone; the session does not notice.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clients.delete(client);
      sockets.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The 0700 folder is what keeps others out; the mode says the same on the socket itself.
  await chmod(socketPath, 0o600);

  // A session whose status cannot be known is the monitor's to report; clients then see the
  // socket close without an exit frame and read the container's state instead.
  session.exited.then(
    (status) => {
      exitStatus = status;
      for (const client of clients) if (client.joined) finish(client, status);
    },
    () => undefined,
  );

  return {
    async close(): Promise<void> {
      stopOutput();
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      for (const socket of sockets) socket.destroy();
      clients.clear();
      await closed;
    },
  };
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) {
    throw new DevenvError(
      'DEVENV_STORE',
      `${socketPath} should be the container's attach socket but is another kind of file`,
      { hint: 'Remove it by hand (devenv never puts anything else there), then start the container again.' },
    );
  }
  await unlink(socketPath);
}
