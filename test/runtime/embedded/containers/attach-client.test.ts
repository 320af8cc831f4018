/**
 * attachClient against the real attach server over Unix sockets, with a stand-in terminal (a
 * stream that records raw-mode calls) on the client side and, where the terminal matters, a real
 * pty (`script`) as the session.
 */
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import { attachClient } from '../../../../src/runtime/embedded/containers/attach-client.js';
import type { AttachOutcome } from '../../../../src/runtime/embedded/containers/attach-client.js';
import {
  FrameType,
  encodeError,
  encodeFrame,
} from '../../../../src/runtime/embedded/containers/attach-protocol.js';
import { serveAttach } from '../../../../src/runtime/embedded/containers/attach-server.js';
import { parseDetachKeys } from '../../../../src/runtime/embedded/containers/detach-keys.js';
import type { Stdio } from '../../../../src/runtime/runtime.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { fakeTtyStdin, fakeTtyStdout, memorySession, scratch, scriptSession } from './helpers/sessions.js';
import type { TestSession } from './helpers/sessions.js';

const CTRL_P = '\x10';
const CTRL_Q = '\x11';
const detachKeys = parseDetachKeys('ctrl-p,ctrl-q');

let dir: string;
let cleanup: () => Promise<void>;
let socketPath: string;
const sessions: TestSession[] = [];
const closers: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  socketPath = path.join(dir, 'attach.sock');
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const session of sessions.splice(0)) session.kill();
  await cleanup();
});

async function serve(session: TestSession) {
  sessions.push(session);
  const server = await serveAttach({ socketPath, session });
  closers.push(() => server.close());
  return server;
}

function terminal() {
  const stdin = fakeTtyStdin();
  const stdout = fakeTtyStdout(24, 80);
  const stdio: Stdio = { stdin, stdout, stderr: new PassThrough() };
  const listeners = () => [
    stdin.listenerCount('data'),
    stdin.listenerCount('end'),
    stdout.listenerCount('resize'),
    stdout.listenerCount('drain'),
  ];
  return { stdin, stdout, stdio, listeners, before: listeners() };
}

function attach(stdio: Stdio): Promise<AttachOutcome> {
  return attachClient({ socketPath, stdio, detachKeys });
}

describe('attachClient', () => {
  it('detaches on ctrl-p ctrl-q, leaves the session running, and a new attach finds the shell as it was', async () => {
    const session = scriptSession('sh');
    await serve(session);
    const first = terminal();
    const attached = attach(first.stdio);
    first.stdin.write('GREETING=hello-again\r');
    first.stdin.write('echo set-$((2*3))\r');
    await waitFor(() => first.stdout.text().includes('set-6'), 'the first command to run');
    first.stdin.write(CTRL_P);
    first.stdin.write(CTRL_Q);
    expect(await attached).toEqual({ kind: 'detached' });
    expect(first.stdin.rawCalls).toEqual([true, false]);
    expect(first.listeners()).toEqual(first.before);
    // Left flowing, stdin would keep the process alive and swallow what the next reader wants.
    expect(first.stdin.readableFlowing).toBe(false);

    const second = terminal();
    const again = attach(second.stdio);
    await waitFor(() => second.stdout.text().includes('set-6'), 'the snapshot on reattach');
    second.stdin.write('echo "[$GREETING]"\r');
    await waitFor(() => second.stdout.text().includes('[hello-again]'), 'the variable, still set');
    second.stdin.write('exit 5\r');
    expect(await again).toEqual({ kind: 'exited', status: 5 });
    expect(second.stdin.rawCalls).toEqual([true, false]);
    expect(second.listeners()).toEqual(second.before);
  });

  it('forwards ctrl-p and the key after it when they are not the detach sequence', async () => {
    const session = scriptSession('stty -echo; cat -v');
    await serve(session);
    const { stdin, stdout, stdio } = terminal();
    const attached = attach(stdio);
    stdin.write(CTRL_P);
    stdin.write('x\r');
    await waitFor(() => stdout.text().includes('^Px'), 'cat -v to show ^Px');
    stdin.write(`${CTRL_P}${CTRL_Q}`);
    expect(await attached).toEqual({ kind: 'detached' });
  });

  it('sends the terminal size on attach and again when the terminal is resized', async () => {
    const session = scriptSession('sh');
    await serve(session);
    const { stdin, stdout, stdio } = terminal();
    const attached = attach(stdio);
    const sizeShows = async (size: string) =>
      waitFor(() => {
        if (stdout.text().includes(size)) return true;
        stdin.write('stty size\r');
        return false;
      }, `stty size to print ${size}`);
    await sizeShows('24 80');
    stdout.rows = 50;
    stdout.columns = 132;
    stdout.emit('resize');
    await sizeShows('50 132');
    stdin.write('exit\r');
    expect(await attached).toEqual({ kind: 'exited', status: 0 });
  });

  it('keeps waiting for the exit when stdin ends, as docker attach does', async () => {
    const session = memorySession();
    await serve(session);
    const stdin = new PassThrough();
    const stdout = fakeTtyStdout();
    const attached = attach({ stdin, stdout, stderr: new PassThrough() });
    stdin.end('typed before the end');
    await waitFor(() => session.typed.length > 0, 'the input to arrive');
    let settled = false;
    void attached.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    session.emit('last words');
    session.end(9);
    expect(await attached).toEqual({ kind: 'exited', status: 9 });
    expect(stdout.text()).toBe('last words');
    expect(Buffer.concat(session.typed).toString()).toBe('typed before the end');
  });

  it('ends as closed, raw mode restored, when the monitor goes away without an exit', async () => {
    const server = await serve(memorySession());
    const { stdin, stdio, listeners, before } = terminal();
    const attached = attach(stdio);
    await waitFor(() => stdin.rawCalls.length > 0, 'raw mode');
    await server.close();
    expect(await attached).toEqual({ kind: 'closed' });
    expect(stdin.rawCalls).toEqual([true, false]);
    expect(stdin.isRaw).toBe(false);
    expect(listeners()).toEqual(before);
  });

  it('restores raw mode that was already on', async () => {
    const session = memorySession();
    await serve(session);
    const { stdin, stdio } = terminal();
    stdin.setRawMode(true);
    const attached = attach(stdio);
    await waitFor(() => stdin.rawCalls.length > 1, 'raw mode');
    session.end(0);
    await attached;
    expect(stdin.rawCalls).toEqual([true, true, true]);
    expect(stdin.isRaw).toBe(true);
  });

  it('fails with the server’s reason, raw mode restored, when the server refuses', async () => {
    // A server that answers every client with an error frame, as a monitor of another version would.
    const server = net.createServer((socket) => {
      socket.resume();
      socket.end(encodeError('this monitor speaks version 7'));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
    const { stdin, stdio, listeners, before } = terminal();
    const error = await attach(stdio).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).code).toBe('DEVENV_RUNTIME_FAILED');
    expect((error as DevenvError).message).toContain('this monitor speaks version 7');
    expect((error as DevenvError).message).toContain(socketPath);
    expect(stdin.rawCalls).toEqual([true, false]);
    expect(listeners()).toEqual(before);
  });

  it('fails as a protocol error, raw mode restored, on a frame it does not know', async () => {
    const server = net.createServer((socket) => {
      socket.resume();
      socket.write(encodeFrame(FrameType.resize, Buffer.alloc(4)));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
    const { stdin, stdio } = terminal();
    await expect(attach(stdio)).rejects.toThrow(/unknown frame type 1/);
    expect(stdin.rawCalls).toEqual([true, false]);
  });

  it('names the socket and says what to do when nothing listens there', async () => {
    const { stdin, stdio } = terminal();
    const error = await attach(stdio).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).code).toBe('DEVENV_RUNTIME_FAILED');
    expect((error as DevenvError).message).toContain(socketPath);
    expect((error as DevenvError).hint).toMatch(/devenv up/);
    expect(stdin.rawCalls).toEqual([]);
  });

  it('leaves a stdin that is not a terminal alone', async () => {
    const session = memorySession();
    await serve(session);
    const stdin = Object.assign(new PassThrough(), {
      isTTY: false,
      setRawMode: () => {
        throw new Error('not a terminal');
      },
    });
    const attached = attach({ stdin, stdout: new PassThrough(), stderr: new PassThrough() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    session.end(3);
    expect(await attached).toEqual({ kind: 'exited', status: 3 });
  });
});
