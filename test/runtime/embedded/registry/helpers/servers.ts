/** Small loopback servers for registry tests: a token endpoint and a header-recording "other host". */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Server {
  address: string;
  requests: { url: string; headers: IncomingHttpHeaders }[];
  close: () => Promise<void>;
}

/** Starts a server on 127.0.0.1 that records every request and answers with `handler`. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const requests: Server['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

/**
 * A token endpoint at `/token`: answers `{token, expires_in}` when the Basic credentials match
 * `basic` (or always, when `basic` is undefined), else 401.
 */
export async function startTokenServer(
  token: string,
  basic?: { user: string; password: string },
  expiresIn = 300,
): Promise<Server> {
  return startServer((req, res) => {
    const expected =
      basic === undefined
        ? undefined
        : `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`;
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
}
