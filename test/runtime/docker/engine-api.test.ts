/**
 * The Engine API client against a real HTTP server on a unix socket that plays the engine: answers,
 * refusals and the faults a real daemon shows (gone, a 500 with a message, a 404, too slow, closing
 * mid-answer, an API version it no longer serves), and exec's upgraded stream with stdout and stderr
 * frames interleaved and split across chunks, stdin forwarded and half-closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import type { DockerTarget } from '../../../src/runtime/docker/docker-cli.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { EngineApi } from '../../../src/runtime/docker/engine-api/client.js';
import { eventsPath } from '../../../src/runtime/docker/engine-api/events.js';
import { execOverApi } from '../../../src/runtime/docker/engine-api/exec.js';
import { encodeStreamFrame, StreamDemuxer } from '../../../src/runtime/docker/engine-api/stream-frames.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;
type Upgrader = (request: IncomingMessage, socket: Socket) => void;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A fake engine on a fresh socket; every request it saw is in `seen` (`METHOD /path`). */
async function fakeEngine(handle: Handler, upgrade?: Upgrader): Promise<{ socket: string; seen: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(`${request.method ?? ''} ${request.url ?? ''}`);
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.on('upgrade', (request: IncomingMessage, client: Socket) => {
    seen.push(`${request.method ?? ''} ${request.url ?? ''} (upgrade)`);
    upgrade?.(request, client);
  });
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(() => {
    for (const s of open) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { socket, seen };
}

function json(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

function runtimeOn(socket: string, extra: Partial<DockerTarget> = {}): DockerRuntime {
  return new DockerRuntime({ binary: 'docker', env: { DOCKER_HOST: `unix://${socket}` }, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<DevenvError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevenvError) return error;
    throw error;
  }
  throw new Error('expected a DevenvError');
}

const CONTAINER = {
  Id: 'c0ffee',
  Name: '/web',
  Image: 'sha256:1',
  State: { Status: 'running', Running: true },
  Config: { Image: 'devenv/web:latest', Labels: { 'dev.devenv.name': 'web' } },
};

describe('Engine API calls', () => {
  it('inspects over the socket: a document is a summary, a 404 is undefined', async () => {
    const engine = await fakeEngine((request, response) => {
      if (request.url === '/v1.41/containers/web/json') json(response, 200, CONTAINER);
      else json(response, 404, { message: 'No such container: gone' });
    });
    const runtime = runtimeOn(engine.socket);
    expect(runtime.usesEngineApi).toBe(true);
    expect(await runtime.inspectContainer('web')).toMatchObject({
      id: 'c0ffee',
      name: 'web',
      state: 'running',
    });
    expect(await runtime.inspectContainer('gone')).toBeUndefined();
    expect(engine.seen).toEqual(['GET /v1.41/containers/web/json', 'GET /v1.41/containers/gone/json']);
  });

  it('keeps the / and : of an image reference in the path, and encodes the rest', async () => {
    const engine = await fakeEngine((_request, response) => {
      json(response, 404, { message: 'No such image' });
    });
    expect(await runtimeOn(engine.socket).inspectImage('localhost:5000/team/app:1 x')).toBeUndefined();
    expect(engine.seen).toEqual(['GET /v1.41/images/localhost:5000/team/app:1%20x/json']);
  });

  it('asks again with the version an engine that dropped 1.41 names', async () => {
    const engine = await fakeEngine((request, response) => {
      if (request.url?.startsWith('/v1.41/') === true)
        json(response, 400, {
          message:
            'client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client',
        });
      else json(response, 200, CONTAINER);
    });
    const runtime = runtimeOn(engine.socket);
    expect((await runtime.inspectContainer('web'))?.id).toBe('c0ffee');
    expect((await runtime.inspectContainer('web'))?.id).toBe('c0ffee');
    expect(engine.seen).toEqual([
      'GET /v1.41/containers/web/json',
      'GET /v1.44/containers/web/json',
      'GET /v1.44/containers/web/json',
    ]);
  });

  it("a 500 is the daemon's message, as the CLI prints it; start takes 204 and 304", async () => {
    const engine = await fakeEngine((request, response) => {
      if (request.url === '/v1.41/containers/up/start') {
        response.writeHead(304);
        response.end();
      } else if (request.url === '/v1.41/containers/ok/start') {
        response.writeHead(204);
        response.end();
      } else json(response, 500, { message: 'OCI runtime create failed: boom' });
    });
    const runtime = runtimeOn(engine.socket);
    await runtime.startContainer('ok');
    await runtime.startContainer('up');
    const error = await failure(runtime.startContainer('bad'));
    expect(error.code).toBe('DEVENV_RUNTIME_FAILED');
    expect(error.message).toBe(
      'docker start bad failed:\nError response from daemon: OCI runtime create failed: boom',
    );
    const inspect = await failure(runtime.inspectContainer('bad'));
    expect(inspect.message).toContain('docker container inspect failed');
  });

  it('a daemon that is not there names its socket and how to start it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-engine-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const error = await failure(runtimeOn(path.join(dir, 'docker.sock')).inspectContainer('web'));
    expect(error.code).toBe('DEVENV_DAEMON_DOWN');
    expect(error.message).toBe(`the Docker daemon is not running at unix://${dir}/docker.sock`);
    expect(error.hint).toMatch(/systemctl start docker/);
  });

  it('an answer slower than DEVENV_DOCKER_TIMEOUT is a timeout; an interrupt ends the wait', async () => {
    const engine = await fakeEngine(() => {
      // Never answers.
    });
    const slow = await failure(runtimeOn(engine.socket, { timeoutMs: 200 }).inspectContainer('web'));
    expect(slow.code).toBe('DEVENV_TIMEOUT');
    expect(slow.message).toContain('docker container inspect did not answer within 0.2 s');
    expect(slow.hint).toMatch(/DEVENV_DOCKER_TIMEOUT/);

    const controller = new AbortController();
    const pending = failure(runtimeOn(engine.socket, { signal: controller.signal }).inspectContainer('web'));
    setTimeout(() => {
      controller.abort();
    }, 50);
    expect((await pending).code).toBe('DEVENV_INTERRUPTED');
  });

  it('a daemon that closes in the middle of an answer is a clear failure, not a parse error', async () => {
    const engine = await fakeEngine((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 1000 });
      response.write('{"Id": "c0ff');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const error = await failure(runtimeOn(engine.socket).inspectContainer('web'));
    expect(error.code).toBe('DEVENV_RUNTIME_FAILED');
    expect(error.message).toContain(`the Docker engine at unix://${engine.socket} closed the connection`);
  });

  it('a document of the wrong shape names the field', async () => {
    const engine = await fakeEngine((_request, response) => {
      json(response, 200, { ...CONTAINER, State: { Status: 1 } });
    });
    const error = await failure(runtimeOn(engine.socket).inspectContainer('web'));
    expect(error.message).toBe(
      'unexpected container inspect from docker: State.Status: expected a string, got 1',
    );
  });
});

describe('the multiplexed stream', () => {
  it('separates stdout and stderr however the frames are split', () => {
    const bytes = Buffer.concat([
      encodeStreamFrame(1, 'out-1\n'),
      encodeStreamFrame(2, 'err-1\n'),
      encodeStreamFrame(1, ''),
      encodeStreamFrame(1, 'out-2\n'),
    ]);
    for (const size of [1, 3, 7, 8, 9, bytes.length]) {
      const demuxer = new StreamDemuxer();
      const out: string[] = [];
      for (let at = 0; at < bytes.length; at += size)
        for (const frame of demuxer.push(bytes.subarray(at, at + size)))
          out.push(`${frame.kind}:${frame.payload.toString()}`);
      expect(out.filter((l) => !l.endsWith(':'))).toEqual([
        'stdout:out-1\n',
        'stderr:err-1\n',
        'stdout:out-2\n',
      ]);
      expect(demuxer.leftover).toBe(0);
    }
  });

  it('refuses bytes that are not frames', () => {
    expect(() => new StreamDemuxer().push(Buffer.from('HTTP/1.1 200 OK\r\n'))).toThrow(
      /unknown stream type 72/,
    );
  });
});

/** A fake exec: frames written in awkward chunks, stdin echoed back once it is half-closed. */
function execEngine(
  status: { Running: boolean; ExitCode: number | null }[],
): Promise<{ socket: string; seen: string[]; created: unknown[] }> {
  const created: unknown[] = [];
  let inspected = 0;
  return fakeEngine(
    (request, response, body) => {
      if (request.url === '/v1.41/containers/web/exec') {
        created.push(JSON.parse(body));
        json(response, 201, { Id: 'e1' });
      } else if (request.url === '/v1.41/exec/e1/json') {
        json(response, 200, status[Math.min(inspected++, status.length - 1)]);
      } else json(response, 404, { message: 'no such exec' });
    },
    (_request, socket) => {
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      const frames = Buffer.concat([
        encodeStreamFrame(1, 'one\n'),
        encodeStreamFrame(2, 'two\n'),
        encodeStreamFrame(1, 'three\n'),
      ]);
      // Split mid-header and mid-payload.
      socket.write(frames.subarray(0, 5));
      setTimeout(() => socket.write(frames.subarray(5, 17)), 10);
      setTimeout(() => socket.write(frames.subarray(17)), 20);
      const input: Buffer[] = [];
      socket.on('data', (c: Buffer) => input.push(c));
      // Answered after the last chunk above, however early stdin ends.
      socket.on('end', () => {
        setTimeout(() => socket.end(encodeStreamFrame(1, `stdin:${Buffer.concat(input).toString()}`)), 40);
      });
    },
  ).then((engine) => ({ ...engine, created }));
}

function captured(stdin: PassThrough): {
  stdio: { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough };
  out: () => string;
  err: () => string;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  return {
    stdio: { stdin, stdout, stderr },
    out: () => Buffer.concat(out).toString(),
    err: () => Buffer.concat(err).toString(),
  };
}

describe('exec over the API', () => {
  it('demuxes split frames, forwards stdin and half-closes it, and returns the status', async () => {
    const engine = await execEngine([
      { Running: true, ExitCode: null },
      { Running: false, ExitCode: 3 },
    ]);
    const api = new EngineApi({ binary: 'docker', env: {} }, engine.socket);
    const stdin = new PassThrough();
    const io = captured(stdin);
    stdin.end('hello');
    const status = await execOverApi(
      api,
      'web',
      ['sh', '-c', 'cat'],
      { tty: false, interactive: true, user: '1000', workdir: '/src', env: { TOKEN: 'secret' } },
      io.stdio,
    );
    expect(status).toBe(3);
    expect(io.out()).toBe('one\nthree\nstdin:hello');
    expect(io.err()).toBe('two\n');
    expect(engine.created).toEqual([
      {
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        DetachKeys: 'ctrl-p,ctrl-q',
        Cmd: ['sh', '-c', 'cat'],
        Env: ['TOKEN=secret'],
        User: '1000',
        WorkingDir: '/src',
      },
    ]);
    // The status was asked again while the engine still called the exec running.
    expect(engine.seen.filter((s) => s === 'GET /v1.41/exec/e1/json')).toHaveLength(2);
    expect(stdin.listenerCount('data')).toBe(0);
  });

  it("sends a TTY's size with the exec on an engine that serves API 1.42, and keeps 1.41 otherwise", async () => {
    for (const served of ['1.41', '1.43']) {
      const created: unknown[] = [];
      const paths: string[] = [];
      const answer = (response: ServerResponse, status: number, value: unknown): void => {
        response.setHeader('Api-Version', served);
        json(response, status, value);
      };
      const engine = await fakeEngine(
        (request, response, body) => {
          paths.push(request.url ?? '');
          if (request.url?.endsWith('/containers/web/json') === true) answer(response, 200, CONTAINER);
          else if (request.url?.endsWith('/containers/web/exec') === true) {
            created.push(JSON.parse(body));
            answer(response, 201, { Id: 'e1' });
          } else if (request.url?.endsWith('/exec/e1/json') === true)
            answer(response, 200, { Running: false, ExitCode: 0 });
          else answer(response, 200, {});
        },
        (_request, socket) => {
          socket.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        },
      );
      const runtime = runtimeOn(engine.socket);
      await runtime.inspectContainer('web');
      const io = captured(new PassThrough());
      Object.assign(io.stdio.stdout, { rows: 33, columns: 111 });
      expect(await runtime.exec('web', ['sh'], { tty: true, interactive: false }, io.stdio)).toBe(0);
      if (served === '1.43') {
        expect(created[0]).toMatchObject({ Tty: true, ConsoleSize: [33, 111] });
        expect(paths).toContain('/v1.42/containers/web/exec');
      } else {
        expect(created[0]).not.toHaveProperty('ConsoleSize');
        expect(paths).toContain('/v1.41/containers/web/exec');
      }
      // Either way the size is also sent once the command runs.
      for (let i = 0; i < 100 && !paths.some((p) => p.includes('/exec/e1/resize')); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(paths.find((p) => p.includes('/exec/e1/resize'))).toMatch(/resize\?h=33&w=111$/);
    }
  });

  it('a stream the daemon cuts ends the session; the status says what became of the command', async () => {
    const engine = await fakeEngine(
      (request, response) => {
        if (request.url === '/v1.41/containers/web/exec') json(response, 201, { Id: 'e1' });
        else json(response, 200, { Running: false, ExitCode: 137 });
      },
      (_request, socket) => {
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        socket.write(
          Buffer.concat([
            encodeStreamFrame(1, 'partial'),
            encodeStreamFrame(1, 'never-finished').subarray(0, 10),
          ]),
        );
        setTimeout(() => socket.destroy(), 20);
      },
    );
    const io = captured(new PassThrough());
    const status = await execOverApi(
      new EngineApi({ binary: 'docker', env: {} }, engine.socket),
      'web',
      ['sleep', '9'],
      { tty: false, interactive: true },
      io.stdio,
    );
    expect(status).toBe(137);
    expect(io.out()).toBe('partial');
  });

  it('a refused exec is the daemon message; nothing is started', async () => {
    const engine = await fakeEngine((_request, response) => {
      json(response, 409, { message: 'Container web is not running' });
    });
    const io = captured(new PassThrough());
    const error = await failure(
      execOverApi(
        new EngineApi({ binary: 'docker', env: {} }, engine.socket),
        'web',
        ['true'],
        { tty: false, interactive: false },
        io.stdio,
      ),
    );
    expect(error.message).toBe(
      'docker exec web failed:\nError response from daemon: Container web is not running',
    );
    expect(engine.seen).toEqual(['POST /v1.41/containers/web/exec']);
  });
});

describe('events over the API', () => {
  it("asks for container events of devenv's containers, replaying from a time when given", () => {
    const query = (since: number | undefined) => new URL(`http://docker${eventsPath(since)}`).searchParams;
    expect(JSON.parse(query(undefined).get('filters') ?? '')).toEqual({
      type: ['container'],
      label: ['dev.devenv.name'],
    });
    expect(query(undefined).has('since')).toBe(false);
    expect(query(1700000000).get('since')).toBe('1700000000');
  });

  it('reports the environments of the events it reads and stops when aborted', async () => {
    const engine = await fakeEngine((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      const event = (action: string, name: string) =>
        `${JSON.stringify({ Type: 'container', Action: action, Actor: { Attributes: { 'dev.devenv.name': name } } })}\n`;
      response.write(event('start', 'api'));
      response.write(event('exec_start: sh', 'api').slice(0, 10));
      setTimeout(
        () => response.write(`${event('exec_start: sh', 'api').slice(10)}${event('die', 'web')}`),
        10,
      );
    });
    const seen: (string | undefined)[] = [];
    const controller = new AbortController();
    const done = runtimeOn(engine.socket).watchChanges(controller.signal, (name) => seen.push(name));
    for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await done;
    expect(seen).toEqual(['api', 'web']);
    expect(engine.seen[0]).toMatch(/^GET \/v1\.41\/events\?filters=/);
  });
});
