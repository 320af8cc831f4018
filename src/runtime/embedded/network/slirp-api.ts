/**
 * A client for slirp4netns's API socket. The protocol is one JSON request per connection: the
 * client writes the request, shuts down its writing half (slirp4netns reads until end of file), and
 * reads one JSON answer holding either `return` or `error`. A request must stay under 4096 bytes.
 */
import { createConnection } from 'node:net';

/** The request devenv sends: one forward from a host address and port to the container's port. */
export interface SlirpRequest {
  execute: 'add_hostfwd';
  arguments: { proto: 'tcp' | 'udp'; host_addr: string; host_port: number; guest_port: number };
}

/** The answer: what `return` held, or the `error` description slirp4netns gave. */
export type SlirpAnswer = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** How long one request may take; slirp4netns answers at once, but the machine may be busy. */
const REQUEST_TIMEOUT_MS = 30_000;

function answerOf(text: string): SlirpAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `not JSON: ${text.slice(0, 200)}` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, error: `unexpected answer ${text}` };
  const answer = parsed as { return?: unknown; error?: unknown };
  if (typeof answer.return === 'object' && answer.return !== null)
    return { ok: true, value: answer.return as Record<string, unknown> };
  const error = answer.error as { desc?: unknown } | undefined;
  return {
    ok: false,
    error: typeof error?.desc === 'string' ? error.desc : JSON.stringify(answer.error ?? parsed),
  };
}

/**
 * Sends `request` to the API socket at `socketPath`. Rejects only when the socket cannot be reached
 * or does not answer; an `error` from slirp4netns is a resolved `{ ok: false }`.
 */
export function slirpRequest(socketPath: string, request: SlirpRequest): Promise<SlirpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () =>
      socket.destroy(
        new Error(`slirp4netns did not answer on ${socketPath} within ${REQUEST_TIMEOUT_MS} ms`),
      ),
    );
    socket.on('connect', () => socket.end(JSON.stringify(request)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve(answerOf(Buffer.concat(chunks).toString('utf8')));
    });
  });
}
