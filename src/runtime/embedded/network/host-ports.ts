/**
 * Host ports seen from devenv's side. slirp4netns answers a forward it cannot make with one generic
 * error, so devenv binds the same address and port itself to learn why (in use, an address this host
 * does not have, a port it may not bind), and picks a free port where devenv.yml leaves it open.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** `EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, … when binding fails; undefined when it works. */
export async function bindError(
  protocol: 'tcp' | 'udp',
  address: string,
  port: number,
): Promise<string | undefined> {
  const result = await bindAndClose(protocol, address, port);
  return typeof result === 'string' ? result : undefined;
}

/** A port free on `address` right now, chosen by the kernel. */
export async function freePort(protocol: 'tcp' | 'udp', address: string): Promise<number> {
  const result = await bindAndClose(protocol, address, 0);
  if (typeof result === 'string') throw new Error(`cannot bind ${protocol} ${address}: ${result}`);
  return result;
}

/** Binds, then closes at once; the bound port, or the error code. */
function bindAndClose(protocol: 'tcp' | 'udp', address: string, port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const codeOf = (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    };
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', (error) => {
        socket.close();
        codeOf(error);
      });
      socket.bind({ address, port, exclusive: true }, () => {
        const bound = socket.address().port;
        socket.close(() => {
          resolve(bound);
        });
      });
      return;
    }
    const server = createServer();
    server.once('error', codeOf);
    server.listen({ host: address, port, exclusive: true }, () => {
      const bound = server.address();
      server.close(() => {
        resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
      });
    });
  });
}
