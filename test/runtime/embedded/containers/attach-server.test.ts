/**
 * The attach server with real Unix sockets: clients here speak the protocol by hand, so each test
 * sees exactly which frames the server sends. Sessions are in memory where only the socket matters
 * and a real pty (`script`) where the terminal does.
 */
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameType,
  decodeExit,
  encodeFrame,
  encodeHello,
  encodeResize,
} from '../../../../src/runtime/embedded/containers/attach-protocol.js';
import type { Frame } from '../../../../src/runtime/embedded/containers/attach-protocol.js';
import {
  CLIENT_QUEUE_LIMIT,
  serveAttach,
} from '../../../../src/runtime/embedded/containers/attach-server.js';
import { DevenvError } from '../../../../src/errors.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { memorySession, scratch, scriptSession } from './helpers/sessions.js';
import type { TestSession } from './helpers/sessions.js';

/** A client speaking the protocol by hand, keeping every frame it got. */
interface RawClient {
  socket: net.Socket;
  frames: Frame[];
  /** The output it was sent, as text. */
  text(): string;
  closed: Promise<void>;
  send(frame: Buffer): void;
}

async function rawClient(
  socketPath: string,
  hello: Buffer | null = encodeHello({ version: 1, mode: 'attach' }),
) {
  const socket = net.createConnection(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve();
    }),
  );
  if (hello !== null) socket.write(hello);
  const client: RawClient = {
    socket,
    frames,
    text: () =>
      Buffer.concat(frames.filter((f) => f.type === FrameType.data).map((f) => f.payload)).toString('utf8'),
    closed,
    send: (frame) => socket.write(frame),
  };
  return client;
}

function typed(text: string): Buffer {
  return encodeFrame(FrameType.data, Buffer.from(text));
}

let dir: string;
let cleanup: () => Promise<void>;
const sessions: TestSession[] = [];
const servers: { close(): Promise<void> }[] = [];
const clients: net.Socket[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
  for (const session of sessions.splice(0)) session.kill();
  await cleanup();
});

async function serve(session: TestSession, snapshotBytes?: number) {
  sessions.push(session);
  const socketPath = path.join(dir, 'attach.sock');
  const server = await serveAttach({ socketPath, session, snapshotBytes });
  servers.push(server);
  const connect = async (hello?: Buffer | null) => {
    const client = await rawClient(socketPath, hello);
    clients.push(client.socket);
    return client;
  };
  return { socketPath, server, connect };
}

describe('serveAttach, the socket', () => {
  it('makes the socket 0600, replacing a stale one, and refuses to replace anything else', async () => {
    const socketPath = path.join(dir, 'attach.sock');
    const stale = net.createServer();
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve));
    // A server killed without cleanup leaves its socket file behind.
    stale.close();
    await writeFile(path.join(dir, 'x'), '');
    const { connect } = await serve(memorySession());
    expect((await lstat(socketPath)).mode & 0o777).toBe(0o600);
    const client = await connect();
    await waitFor(() => client.frames.length > 0, 'the hello answer');
    expect(client.frames[0]?.type).toBe(FrameType.hello);

    const elsewhere = path.join(dir, 'other');
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, 'attach.sock'), 'not a socket');
    const refused = serveAttach({
      socketPath: path.join(elsewhere, 'attach.sock'),
      session: memorySession(),
    });
    await expect(refused).rejects.toThrow(DevenvError);
    await expect(refused).rejects.toThrow(/attach\.sock should be the container's attach socket/);
  });

  it('answers hello with its version, then sends the recent output and the live stream', async () => {
    const session = memorySession();
    const { connect } = await serve(session, 10);
    session.emit('0123456789abcdef');
    const client = await connect();
    await waitFor(() => client.text() === '6789abcdef', 'the snapshot: the last 10 bytes');
    expect(JSON.parse(client.frames[0]?.payload.toString() ?? '')).toEqual({ version: 1 });
    session.emit('live');
    await waitFor(() => client.text() === '6789abcdeflive', 'the live output');
  });

  it('sends nothing before hello and refuses a version it does not speak', async () => {
    const session = memorySession();
    const { connect } = await serve(session);
    session.emit('secret');
    const silent = await connect(null);
    const wrong = await connect(encodeHello({ version: 2, mode: 'attach' }));
    await wrong.closed;
    expect(wrong.frames.map((f) => f.type)).toEqual([FrameType.error]);
    expect(wrong.frames[0]?.payload.toString()).toMatch(
      /protocol 2 .* not supported; this monitor speaks version 1/,
    );
    const noHello = await connect(typed('ls\r'));
    await noHello.closed;
    expect(noHello.frames[0]?.payload.toString()).toBe('expected a hello frame first');
    expect(session.typed).toEqual([]);
    expect(silent.frames).toEqual([]);
  });

  it('closes even while a refused client never reads its error', async () => {
    const { connect, server } = await serve(memorySession());
    const deaf = await connect(encodeHello({ version: 9 }));
    deaf.socket.pause();
    await server.close();
    servers.splice(0);
    deaf.socket.resume();
    await deaf.closed;
  });

  it('closes a client that announces a frame over 1 MiB and keeps serving the others', async () => {
    const session = memorySession();
    const { connect } = await serve(session);
    const good = await connect();
    const bad = await connect();
    const header = Buffer.alloc(5);
    header.writeUInt32BE(2 * 1024 * 1024, 1);
    bad.send(header);
    await bad.closed;
    expect(bad.frames.at(-1)?.type).toBe(FrameType.error);
    expect(bad.frames.at(-1)?.payload.toString()).toMatch(/exceeds the limit/);
    session.emit('still here');
    await waitFor(() => good.text() === 'still here', 'output to the good client');
    const later = await connect();
    await waitFor(() => later.text() === 'still here', 'a new client after the bad one');
  });

  it('passes input from every client to the session, and the last size sent wins', async () => {
    const session = memorySession();
    const { connect } = await serve(session);
    const a = await connect();
    const b = await connect();
    a.send(typed('from a'));
    await waitFor(() => session.typed.length === 1, 'input of a');
    b.send(typed('from b'));
    a.send(encodeResize(10, 20));
    await waitFor(() => session.sizes.length === 1, 'the first resize');
    b.send(encodeResize(30, 40));
    await waitFor(() => session.sizes.length === 2, 'the second resize');
    expect(Buffer.concat(session.typed).toString()).toBe('from afrom b');
    expect(session.sizes.at(-1)).toEqual({ rows: 30, cols: 40 });
    // A client without a terminal size sends zeros; the size stays.
    a.send(encodeResize(0, 0));
    a.send(typed('!'));
    await waitFor(() => session.typed.length === 3, 'input after the zero size');
    expect(session.sizes).toHaveLength(2);
  });

  it('lets a client detach and drops one that vanishes, while the session goes on', async () => {
    const session = memorySession();
    const { connect } = await serve(session);
    const leaving = await connect();
    const vanishing = await connect();
    const staying = await connect();
    leaving.send(encodeFrame(FrameType.detach));
    await leaving.closed;
    vanishing.socket.destroy();
    await vanishing.closed;
    session.emit('after');
    await waitFor(() => staying.text() === 'after', 'output after the others left');
    expect(leaving.frames.some((f) => f.type === FrameType.exit)).toBe(false);
  });

  it('sends the exit status to every client and ends them, and to a client that comes later', async () => {
    const session = memorySession();
    const { connect } = await serve(session);
    const a = await connect();
    const b = await connect();
    await waitFor(() => a.frames.length > 0 && b.frames.length > 0, 'both joined');
    session.emit('bye');
    session.end(42);
    await Promise.all([a.closed, b.closed]);
    for (const client of [a, b]) {
      expect(client.text()).toBe('bye');
      const last = client.frames.at(-1);
      expect(last?.type).toBe(FrameType.exit);
      expect(decodeExit(last?.payload ?? Buffer.alloc(0))).toBe(42);
    }
    const late = await connect();
    await late.closed;
    expect(late.text()).toBe('bye');
    expect(decodeExit(late.frames.at(-1)?.payload ?? Buffer.alloc(0))).toBe(42);
  });

  it('drops a client that never reads instead of stalling the session or the others', async () => {
    const session = memorySession();
    const { connect } = await serve(session, 1024);
    const stuck = await connect();
    await waitFor(() => stuck.frames.length > 0, 'the stuck client to join');
    stuck.socket.pause();
    const reader = await connect();
    await waitFor(() => reader.frames.length > 0, 'the reader to join');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = 3 * CLIENT_QUEUE_LIMIT;
    for (let sent = 0; sent < total; sent += chunk.length) {
      session.emit(chunk);
      // One chunk a turn of the event loop, as a pty's output arrives.
      await new Promise((resolve) => setImmediate(resolve));
    }
    session.emit('END');
    await waitFor(() => reader.text().endsWith('END'), 'the reader to get everything');
    expect(reader.text().length).toBe(total + 3);
    // Reading again, the stuck client gets what was queued for it until it was dropped, then the end.
    stuck.socket.resume();
    await stuck.closed;
    expect(stuck.text().length).toBeLessThan(total);
    expect(stuck.text().endsWith('END')).toBe(false);
  });
});

describe('serveAttach over a real pty', () => {
  it('shows two clients the same output, and a third the snapshot', async () => {
    const session = scriptSession('sh');
    const { connect } = await serve(session);
    const a = await connect();
    const b = await connect();
    a.send(typed('echo one$((1+1))\r'));
    await waitFor(() => a.text().includes('one2') && b.text().includes('one2'), 'both clients to see one2');
    const c = await connect();
    await waitFor(() => c.text().includes('one2'), 'the snapshot to show one2');
  });

  it('resizes the pty: stty size in the session prints the size the client sent', async () => {
    const session = scriptSession('sh');
    const { connect } = await serve(session);
    const client = await connect();
    client.send(encodeResize(33, 101));
    client.send(typed('stty size\r'));
    // The size and the typed command race through the pty; ask again until the new size shows.
    await waitFor(() => {
      if (client.text().includes('33 101')) return true;
      client.send(typed('stty size\r'));
      return false;
    }, 'stty size to print 33 101');
  });

  it("ends every client with the main process's exit status", async () => {
    const session = scriptSession('sh');
    const { connect } = await serve(session);
    const a = await connect();
    const b = await connect();
    a.send(typed('exit 7\r'));
    await Promise.all([a.closed, b.closed]);
    for (const client of [a, b]) expect(decodeExit(client.frames.at(-1)?.payload ?? Buffer.alloc(0))).toBe(7);
    expect(await session.exited).toBe(7);
  });
});
