/**
 * A small Docker Engine API client: HTTP/1.1 over the engine's unix socket with node:http. A docker
 * CLI call costs a Go process start (~15–25 ms) before the daemon sees it; a request on the socket
 * costs well under a millisecond. Each call names the docker command it stands for, so its limit
 * and whether an interrupt cancels it follow the same policy as the CLI's (call-policy.ts), and its
 * failures read the same: the daemon is down, the socket refuses us, the engine did not answer in
 * time, or the engine said no (with its message, as the CLI prints it).
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { DevenvError } from '../../../errors.js';
import { interruption } from '../../../util/interrupt.js';
import { callPolicy, DEFAULT_DOCKER_TIMEOUT_MS } from '../call-policy.js';
import { daemonDown, DockerCommandError, socketDenied, timeoutError } from '../docker-cli.js';
import type { DockerTarget } from '../docker-cli.js';

/**
 * The API version devenv asks for first: Docker 20.10's, the oldest engine devenv supports. An engine
 * that no longer serves it says which version it wants, and the client asks again with that one.
 */
export const PREFERRED_API_VERSION = '1.41';

/** No answer devenv reads (an inspect, an exec's status) comes near this; a bigger one is not Docker. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** One request, and the docker command it stands for. */
export interface ApiCall {
  method: 'GET' | 'POST';
  /** The path without the version prefix: `/containers/web/json`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** The equivalent docker CLI argv (`['container', 'inspect', 'web']`): names the call in errors. */
  as: readonly string[];
  /** Override the limit of `as` (exec's create and inspect answer like queries, unlike `docker exec`). */
  timeoutMs?: number | undefined;
  /** Ask with at least this API version (for a field newer than 1.41; check {@link EngineApi.serves}). */
  minVersion?: string | undefined;
}

/** The answer to a call: its status and the JSON body (undefined when empty). */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

const VERSION_REFUSED = /(?:Minimum|Maximum) supported API version is (\d+\.\d+)/;

/** Orders API versions by their numbers: `1.9` comes before `1.41`. */
function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/**
 * A name or image reference as a path segment: percent-encoded, except the `/`, `:` and `@` of a
 * reference (`registry:5000/team/app@sha256:…`), which the engine's routes take as they are.
 */
export function segment(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@');
}

/** The daemon's message from an error body (`{"message": …}`), else the body as text. */
function messageOf(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown } | null;
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    // Not JSON: a proxy's or an old engine's plain text.
  }
  return text;
}

export class EngineApi {
  private version = PREFERRED_API_VERSION;
  /** The newest version the engine serves, from the `Api-Version` header of its last answer. */
  private served: string | undefined;

  constructor(
    readonly target: DockerTarget,
    readonly socketPath: string,
  ) {}

  /** `unix:///path`, as the CLI and its errors name the engine. */
  get host(): string {
    return `unix://${this.socketPath}`;
  }

  /** Whether the engine is known (from an earlier answer) to serve API `version`. */
  serves(version: string): boolean {
    return this.served !== undefined && compareVersions(this.served, version) >= 0;
  }

  /** The limit and the interrupt that apply to `call`. */
  private limits(call: ApiCall): { timeoutMs: number | undefined; signal: AbortSignal | undefined } {
    const policy = callPolicy(call.as, this.target.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS);
    return {
      timeoutMs: call.timeoutMs ?? policy.timeoutMs,
      signal: policy.cancellable ? this.target.signal : undefined,
    };
  }

  /**
   * Sends `call` and reads the whole answer. A status outside 2xx and `accept` is an error with the
   * daemon's message (a {@link DockerCommandError}, as a failed CLI call gives).
   */
  async call(call: ApiCall, accept: readonly number[] = []): Promise<ApiAnswer> {
    const response = await this.respond(call);
    const body = await this.readBody(response, call);
    const status = response.statusCode ?? 0;
    if ((status >= 200 && status < 300) || accept.includes(status)) {
      const text = body.toString('utf8');
      return { status, body: text.trim() === '' ? undefined : this.json(text, call) };
    }
    const message = messageOf(body);
    const wanted = status === 400 ? VERSION_REFUSED.exec(message)?.[1] : undefined;
    if (wanted !== undefined && wanted !== this.version) {
      this.version = wanted;
      return this.call(call, accept);
    }
    throw new DockerCommandError(this.target, call.as, undefined, `Error response from daemon: ${message}`);
  }

  /**
   * Sends `call` asking to take over the connection (`Upgrade: tcp`), as `docker exec` and `attach`
   * do; resolves with the raw socket and any bytes that came with the `101` answer. A plain answer
   * is the engine's refusal and is thrown as {@link call} would.
   */
  async upgrade(call: ApiCall): Promise<{ socket: Socket; head: Buffer }> {
    const answer = await this.send(call, true);
    if ('socket' in answer) return answer;
    const body = await this.readBody(answer.response, call);
    const status = answer.response.statusCode ?? 0;
    const message = messageOf(body);
    throw new DockerCommandError(
      this.target,
      call.as,
      undefined,
      status >= 200 && status < 300
        ? `the engine did not switch protocols (HTTP ${status}): ${message}`
        : `Error response from daemon: ${message}`,
    );
  }

  /** Sends `call` and resolves with the response left unread, for a stream (events). */
  async stream(call: ApiCall): Promise<IncomingMessage> {
    const response = await this.respond(call);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    const body = await this.readBody(response, call);
    throw new DockerCommandError(
      this.target,
      call.as,
      undefined,
      `Error response from daemon: ${messageOf(body)}`,
    );
  }

  /** Sends a call that does not ask for an upgrade; an engine that switches protocols anyway is not Docker. */
  private async respond(call: ApiCall): Promise<IncomingMessage> {
    const answer = await this.send(call, false);
    if ('response' in answer) return answer.response;
    answer.socket.destroy();
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `the Docker engine at ${this.host} switched protocols for ${call.as.slice(0, 2).join(' ')} unasked`,
      { hint: `is ${this.socketPath} really Docker's socket? Check DOCKER_HOST` },
    );
  }

  private json(text: string, call: ApiCall): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `the Docker engine at ${this.host} answered ${call.as.slice(0, 2).join(' ')} with something that is not JSON`,
        { hint: `is ${this.socketPath} really Docker's socket? Check DOCKER_HOST`, cause: error },
      );
    }
  }

  /** The error of a connection that failed or broke, worded as the CLI's are. */
  private connectionError(call: ApiCall, error: NodeJS.ErrnoException): DevenvError {
    if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK')
      return daemonDown(this.host, error);
    if (error.code === 'EACCES' || error.code === 'EPERM') return socketDenied(this.host, error);
    return new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `the Docker engine at ${this.host} closed the connection during ${this.target.binary} ${call.as.slice(0, 2).join(' ')} (${error.code ?? error.message})`,
      {
        hint: 'is the daemon restarting? "docker info" shows whether it answers; try again once it does',
        cause: error,
      },
    );
  }

  /**
   * Sends the request and waits for the head of the answer, under the call's limit and interrupt;
   * {@link call} reads the body under them again. A stream or an upgraded socket is the caller's.
   */
  private send(
    call: ApiCall,
    upgrade: boolean,
  ): Promise<{ response: IncomingMessage } | { socket: Socket; head: Buffer }> {
    const { timeoutMs, signal } = this.limits(call);
    if (signal?.aborted === true) return Promise.reject(interruption(signal));
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    return new Promise((resolve, reject) => {
      const options: http.RequestOptions & { servername: string } = {
        socketPath: this.socketPath,
        // Without a server name the agent works one out from the host, testing whether it is an IP
        // address: Node's first IPv6 test compiles a large pattern, ~20 ms of every command's start.
        // A unix socket has no server name to give (the agent passes it on to TLS only).
        servername: '',
        method: call.method,
        path: `/v${call.minVersion !== undefined && compareVersions(call.minVersion, this.version) > 0 ? call.minVersion : this.version}${call.path}`,
        headers: {
          Host: 'docker',
          ...(body === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }),
          ...(upgrade ? { Connection: 'Upgrade', Upgrade: 'tcp' } : {}),
        },
      };
      const request = http.request(options);
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error): void => {
        if (settled) return;
        finish();
        request.destroy();
        reject(error);
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              fail(timeoutError(this.target, call.as, timeoutMs));
            }, timeoutMs);
      const onAbort = (): void => {
        if (signal !== undefined) fail(interruption(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error: NodeJS.ErrnoException) => {
        fail(this.connectionError(call, error));
      });
      request.on('upgrade', (_response, socket, head) => {
        finish();
        resolve({ socket, head });
      });
      request.on('response', (response) => {
        const served = response.headers['api-version'];
        if (typeof served === 'string' && /^\d+\.\d+$/.test(served)) this.served = served;
        finish();
        resolve({ response });
      });
      request.end(body);
    });
  }

  /** Reads a whole body, capped, failing clearly if the connection breaks before its end. */
  private readBody(response: IncomingMessage, call: ApiCall): Promise<Buffer> {
    const { timeoutMs, signal } = this.limits(call);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const settle = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(Buffer.concat(chunks));
        else {
          response.destroy();
          reject(error);
        }
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              settle(timeoutError(this.target, call.as, timeoutMs));
            }, timeoutMs);
      const onAbort = (): void => {
        if (signal !== undefined) settle(interruption(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES)
          settle(
            new DevenvError(
              'DEVENV_RUNTIME_FAILED',
              `the Docker engine at ${this.host} sent more than ${MAX_BODY_BYTES >> 20} MiB for ${call.as.slice(0, 2).join(' ')}`,
              { hint: `is ${this.socketPath} really Docker's socket? Check DOCKER_HOST` },
            ),
          );
        else chunks.push(chunk);
      });
      response.on('end', () => {
        settle(undefined);
      });
      response.on('aborted', () => {
        settle(this.connectionError(call, Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
      });
      response.on('error', (error: NodeJS.ErrnoException) => {
        settle(this.connectionError(call, error));
      });
    });
  }
}
