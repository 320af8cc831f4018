/**
 * The private network end to end on real namespaces and a real slirp4netns: published ports answer
 * on the host's loopback (tcp, udp, ranges), the container reaches the host's loopback through the
 * gateway only when allowed, a port in use is a clear error that leaves nothing running, and
 * slirp4netns ends with close() and with the namespace's process. Only loopback traffic.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DevenvError } from '../../../../src/errors.js';
import {
  privateNetworkSupport,
  startPrivateNetwork,
} from '../../../../src/runtime/embedded/network/index.js';
import type {
  PrivateNetwork,
  PrivateNetworkOptions,
} from '../../../../src/runtime/embedded/network/index.js';
import { childScript } from '../../../helpers/child-script.js';
import { hasCli, isRoot, skipUnless } from '../../../helpers/requirements.js';
import { waitFor } from '../../../helpers/wait-for.js';
import {
  addressesIn,
  hostServer,
  makeNamespace,
  nodeIn,
  serversIn,
  slirpFor,
  tcpAsk,
  udpAsk,
} from './helpers/namespace.js';

const skip = skipUnless('private network tests (network namespaces, slirp4netns)', {
  root: isRoot,
  slirp4netns: hasCli('slirp4netns'),
});

/** A TCP port free on 127.0.0.1 right now, followed by `count - 1` more free ones. */
async function freePorts(count = 1): Promise<number> {
  const bind = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => {
        resolve(undefined);
      });
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          resolve(typeof address === 'object' && address !== null ? address.port : undefined);
        });
      });
    });
  for (;;) {
    const first = await bind(0);
    if (first === undefined || first + count > 65535) continue;
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = (await bind(first + i)) !== undefined;
    if (ok) return first;
  }
}

/** Connects from inside the namespace to `host:port` and prints the answer or the error code. */
const CLIENT = `
  const s = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
  let d = ''; s.setTimeout(5000, () => { console.log('ETIMEDOUT'); process.exit(0); });
  s.on('data', (c) => d += c); s.on('end', () => console.log(d));
  s.on('error', (e) => console.log(e.code));`;

describe.skipIf(skip)('private network', () => {
  let stateDir = '';
  const networks: PrivateNetwork[] = [];
  let dirs = 0;
  /** Starts a network in a state folder of its own, unless the test gives one. */
  const start = async (options: Omit<PrivateNetworkOptions, 'stateDir'> & { stateDir?: string }) => {
    const own = path.join(stateDir, `container-${++dirs}`);
    await mkdir(own, { mode: 0o700 });
    const network = await startPrivateNetwork({ stateDir: own, ...options });
    networks.push(network);
    return network;
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'devenv-network-'));
  });
  afterAll(async () => {
    await Promise.all(networks.map((network) => network.close()));
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is supported here', async () => {
    expect(await privateNetworkSupport()).toEqual({ ok: true });
  });

  it('a namespace without slirp4netns has only loopback; with it, tap0 is 10.0.2.100', async () => {
    const ns = await makeNamespace();
    expect(await addressesIn(ns.pid)).not.toContain('tap0');
    await start({ pid: ns.pid, ports: [], hostLoopback: false });
    const addresses = await addressesIn(ns.pid);
    expect(addresses).toMatch(/tap0\s+inet 10\.0\.2\.100\/24/);
    expect(addresses.split('\n').map((line) => line.split(/\s+/)[1])).toEqual(['lo', 'tap0']);
  });

  it('publishes tcp and udp ports on the host loopback, with the address and ranges as written', async () => {
    const ns = await makeNamespace();
    // slirp4netns drops a UDP answer to a client on the host's loopback unless host loopback is on.
    await serversIn(ns.pid, [80, 53, 8000, 8001]);
    const web = await freePorts();
    const dns = await freePorts();
    const range = await freePorts(2);
    const network = await start({
      pid: ns.pid,
      ports: [`127.0.0.1:${web}:80`, `127.0.0.1:${dns}:53/udp`, `127.0.0.1:${range}-${range + 1}:8000-8001`],
      hostLoopback: true,
    });
    expect(network.published).toEqual([
      `127.0.0.1:${web}->80/tcp`,
      `127.0.0.1:${dns}->53/udp`,
      `127.0.0.1:${range}->8000/tcp`,
      `127.0.0.1:${range + 1}->8001/tcp`,
    ]);
    expect(await tcpAsk('127.0.0.1', web)).toBe('hello tcp 80');
    expect(await udpAsk('127.0.0.1', dns)).toBe('hello udp 53');
    expect(await tcpAsk('127.0.0.1', range)).toBe('hello tcp 8000');
    expect(await tcpAsk('127.0.0.1', range + 1)).toBe('hello tcp 8001');
  });

  it('publishes on all addresses when the port names none, and picks a free port for a bare container port', async () => {
    const ns = await makeNamespace();
    await serversIn(ns.pid, [80]);
    const port = await freePorts();
    const network = await start({ pid: ns.pid, ports: [`${port}:80`, '80'], hostLoopback: false });
    expect(network.published[0]).toBe(`${port}->80/tcp`);
    expect(network.published[1]).toMatch(/^\d+->80\/tcp$/);
    const picked = Number(network.published[1]?.split('->')[0]);
    expect(picked).not.toBe(port);
    expect(await tcpAsk('127.0.0.1', port)).toBe('hello tcp 80');
    expect(await tcpAsk('127.0.0.1', picked)).toBe('hello tcp 80');
  });

  it('reaches a server on the host loopback through 10.0.2.2 only with hostLoopback', async () => {
    const host = await hostServer('hello from the host');
    const open = await makeNamespace();
    await start({ pid: open.pid, ports: [], hostLoopback: true });
    expect((await nodeIn(open.pid, CLIENT, ['10.0.2.2', String(host.port)])).trim()).toBe(
      'hello from the host',
    );
    const closed = await makeNamespace();
    await start({ pid: closed.pid, ports: [], hostLoopback: false });
    expect((await nodeIn(closed.pid, CLIENT, ['10.0.2.2', String(host.port)])).trim()).toMatch(/^E[A-Z]+$/);
  });

  it('a host port in use is a DevenvError naming it, and leaves no slirp4netns running', async () => {
    const ns = await makeNamespace();
    const taken = await hostServer('taken');
    const error = await start({ pid: ns.pid, ports: [`127.0.0.1:${taken.port}:80`], hostLoopback: false })
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DevenvError);
    expect(error).toMatchObject({ code: 'DEVENV_BUSY' });
    expect((error as DevenvError).message).toContain(`127.0.0.1:${taken.port}:80`);
    expect((error as DevenvError).message).toContain('already in use');
    expect((error as DevenvError).hint).toContain('ports:');
    expect(slirpFor(ns.pid)).toEqual([]);
    expect(await addressesIn(ns.pid)).not.toContain('tap0');
  });

  it('a host range for one container port takes its first free port, and names the range when all are taken', async () => {
    const ns = await makeNamespace();
    await serversIn(ns.pid, [80]);
    const first = await freePorts(2);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(first, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) =>
          taken.close(() => {
            resolve();
          }),
        ),
    );
    const network = await start({
      pid: ns.pid,
      ports: [`127.0.0.1:${first}-${first + 1}:80`],
      hostLoopback: false,
    });
    expect(network.published).toEqual([`127.0.0.1:${first + 1}->80/tcp`]);
    expect(await tcpAsk('127.0.0.1', first + 1)).toBe('hello tcp 80');
    const again = await makeNamespace();
    const error = await start({
      pid: again.pid,
      ports: [`127.0.0.1:${first}-${first + 1}:80`],
      hostLoopback: false,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'DEVENV_BUSY' });
    expect((error as DevenvError).message).toContain(
      `every host port of ${first}-${first + 1} is already in use`,
    );
    expect(slirpFor(again.pid)).toEqual([]);
  });

  it('an address the host does not have is DEVENV_CONFIG_INVALID naming it', async () => {
    const ns = await makeNamespace();
    // 192.0.2.0/24 is reserved for documentation; binding it fails locally and sends nothing.
    for (const port of ['192.0.2.1:8080:80', '192.0.2.1::80']) {
      const error = await start({ pid: ns.pid, ports: [port], hostLoopback: false }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'DEVENV_CONFIG_INVALID' });
      expect((error as DevenvError).message).toContain('192.0.2.1 is not an address of this host');
      expect((error as DevenvError).message).toContain(`"${port}"`);
    }
    expect(slirpFor(ns.pid)).toEqual([]);
  });

  it('a bad port is refused before slirp4netns starts', async () => {
    const ns = await makeNamespace();
    for (const [port, code] of [
      ['99999:80', 'DEVENV_CONFIG_INVALID'],
      ['8080:80/sctp', 'DEVENV_UNSUPPORTED'],
      ['[::1]:8080:80', 'DEVENV_UNSUPPORTED'],
    ] as const) {
      const error = await start({ pid: ns.pid, ports: [port], hostLoopback: false }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code });
      expect((error as DevenvError).message).toContain(`"${port}"`);
    }
    expect(slirpFor(ns.pid)).toEqual([]);
  });

  it('close() stops slirp4netns and the forwards, removes the socket, and may be called again', async () => {
    const ns = await makeNamespace();
    await serversIn(ns.pid, [80]);
    const port = await freePorts();
    const network = await start({ pid: ns.pid, ports: [`127.0.0.1:${port}:80`], hostLoopback: false });
    expect(slirpFor(ns.pid)).toHaveLength(1);
    await network.close();
    await network.close();
    await network.exited;
    expect(slirpFor(ns.pid)).toEqual([]);
    expect(await tcpAsk('127.0.0.1', port)).toBe('ECONNREFUSED');
    await expect(stat(path.join(stateDir, `container-${dirs}`, 'slirp4netns.sock'))).rejects.toThrow();
  });

  it('ends when the namespace process is killed: exited resolves and no slirp4netns is left', async () => {
    const ns = await makeNamespace();
    const network = await start({ pid: ns.pid, ports: [], hostLoopback: false });
    let ended = false;
    void network.exited.then(() => (ended = true));
    expect(slirpFor(ns.pid)).toHaveLength(1);
    ns.process.kill('SIGKILL');
    await waitFor(() => ended, 'exited to resolve');
    expect(slirpFor(ns.pid)).toEqual([]);
  });

  it('slirp4netns ends when the process that started it is killed with SIGKILL', async () => {
    const ns = await makeNamespace();
    await serversIn(ns.pid, [80]);
    const port = await freePorts();
    const own = path.join(stateDir, 'killed-monitor');
    await mkdir(own, { mode: 0o700 });
    const options: PrivateNetworkOptions = {
      pid: ns.pid,
      stateDir: own,
      ports: [`127.0.0.1:${port}:80`],
      hostLoopback: false,
    };
    const monitor = spawn(
      process.execPath,
      [childScript(new URL('./helpers/network-child.ts', import.meta.url)), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    onTestFinished(() => {
      monitor.kill('SIGKILL');
    });
    let out = '';
    monitor.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(() => out.includes('\n'), 'the child to start the network');
    expect(JSON.parse(out)).toEqual([`127.0.0.1:${port}->80/tcp`]);
    expect(await tcpAsk('127.0.0.1', port)).toBe('hello tcp 80');
    expect(slirpFor(ns.pid)).toHaveLength(1);
    monitor.kill('SIGKILL');
    await waitFor(() => slirpFor(ns.pid).length === 0, 'slirp4netns to exit after its parent died', 30_000);
    expect(await tcpAsk('127.0.0.1', port)).toBe('ECONNREFUSED');
  });

  it('a state folder deeper than a socket path may be still works', async () => {
    const deep = path.join(stateDir, 'd'.repeat(60), 'e'.repeat(60));
    await mkdir(deep, { recursive: true, mode: 0o700 });
    const ns = await makeNamespace();
    await serversIn(ns.pid, [80]);
    const port = await freePorts();
    const network = await start({
      pid: ns.pid,
      stateDir: deep,
      ports: [`127.0.0.1:${port}:80`],
      hostLoopback: false,
    });
    expect(await tcpAsk('127.0.0.1', port)).toBe('hello tcp 80');
    await network.close();
  });
});
