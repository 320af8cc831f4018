/**
 * Network namespaces for the private-network tests, made the way the sandbox makes a container's:
 * `unshare --net`, here around `sleep` so the test has a pid inside to hand to slirp4netns. Programs
 * run inside with `nsenter --net --target PID`; every address they use is a loopback or slirp4netns's
 * own 10.0.2.x, so no packet leaves the machine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { execa } from 'execa';
import { onTestFinished } from 'vitest';
import { isRunning } from '../../../../helpers/processes.js';
import { waitFor } from '../../../../helpers/wait-for.js';

/** A namespace whose only process is `sleep`; killed when the test ends. */
export interface Namespace {
  pid: number;
  process: ChildProcess;
}

export async function makeNamespace(): Promise<Namespace> {
  const child = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  // unshare execs sleep once the namespace exists; until then the pid's namespace is the host's.
  await waitFor(() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      return false;
    }
  }, 'unshare --net to exec sleep');
  return { pid, process: child };
}

/** Runs `script` with node inside the namespace of `pid`; resolves with its stdout. */
export async function nodeIn(pid: number, script: string, args: string[] = []): Promise<string> {
  const result = await execa(
    'nsenter',
    ['--net', `--target=${pid}`, '--', process.execPath, '-e', script, ...args],
    {
      timeout: 60_000,
    },
  );
  return result.stdout;
}

/**
 * Starts servers inside the namespace of `pid`: a TCP and a UDP one on each of `ports` of every
 * address, answering `hello <proto> <port>`. Resolves once they listen; they end with the test.
 */
export async function serversIn(pid: number, ports: number[]): Promise<void> {
  const script = `
    const net = require('node:net'); const dgram = require('node:dgram');
    const ports = process.argv.slice(1).map(Number);
    let left = ports.length * 2;
    const ready = () => { if (--left === 0) console.log('listening'); };
    for (const port of ports) {
      net.createServer((s) => s.end('hello tcp ' + port)).listen(port, '0.0.0.0', ready);
      const u = dgram.createSocket('udp4');
      u.on('message', (m, from) => u.send('hello udp ' + port, from.port, from.address));
      u.bind(port, '0.0.0.0', ready);
    }`;
  const child = spawn(
    'nsenter',
    ['--net', `--target=${pid}`, '--', process.execPath, '-e', script, ...ports.map(String)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(() => out.includes('listening'), 'servers in the namespace to listen');
}

/** Connects to `host:port` over TCP and resolves with what it answered, or the error code. */
export function tcpAsk(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    socket.setTimeout(10_000, () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
    socket.on('close', (hadError: boolean) => {
      if (!hadError) resolve(data);
    });
    socket.connect(port, host);
  });
}

/** Sends one UDP datagram to `host:port` and resolves with the answer, or `ETIMEDOUT`. */
export function udpAsk(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve('ETIMEDOUT');
    }, 10_000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send('hi', port, host);
  });
}

/** A TCP server on the host's 127.0.0.1 that answers `greeting`; closed when the test ends. */
export async function hostServer(greeting: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(greeting));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port };
}

/** Pids of slirp4netns processes serving the namespace of `pid` (by their command line). */
export function slirpFor(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => {
      try {
        const argv = readFileSync(`/proc/${candidate}/cmdline`, 'utf8').split('\0');
        return (
          argv[0]?.endsWith('slirp4netns') === true && argv.includes(String(pid)) && isRunning(candidate)
        );
      } catch {
        return false;
      }
    });
}

/** The interfaces and IPv4 addresses inside the namespace of `pid` (`ip -o addr`). */
export async function addressesIn(pid: number): Promise<string> {
  return (await execa('nsenter', ['--net', `--target=${pid}`, '--', 'ip', '-o', '-4', 'addr'])).stdout;
}
