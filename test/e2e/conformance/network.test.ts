/**
 * Networks. `network: none` leaves the environment only its loopback. On a private network a port
 * the environment publishes answers on the host's loopback, and the environment reaches a server on
 * the host's loopback through its gateway. Tests talk to nothing but loopback: the embedded
 * runtime lets a private network reach the host's loopback only when DEVENV_NETWORK_HOST_LOOPBACK=1,
 * which is meant for tests.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { forEachRuntime } from './runtimes.js';
import { editConfig, envName, ok, projectOn } from './scenario.js';

/** The interface names in /proc/net/dev (two header lines, then one `NAME: counters` per line). */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter(Boolean);
}

/** A free loopback port: one the kernel hands out, released again for the environment to take. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

forEachRuntime('network: none', ['build', 'containers'], (runtime) => {
  it('has only the loopback interface', async () => {
    const user = runtime.user();
    const dir = projectOn(runtime, envName(runtime, 'net-none'));
    await ok(user, dir, ['up', '-d']);
    expect(interfaces(await ok(user, dir, ['exec', '--', 'cat', '/proc/net/dev']))).toEqual(['lo']);
    await ok(user, dir, ['rm', '-f']);
  });
});

forEachRuntime('a private network', ['build', 'containers', 'private-network'], (runtime) => {
  it("publishes a port on the host's loopback and reaches the host's loopback through the gateway", async () => {
    const server = createServer((_request, response) => response.end('host says hi\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const hostPort = (server.address() as AddressInfo).port;
      const published = await freePort();
      const user = runtime.user({ DEVENV_NETWORK_HOST_LOOPBACK: '1' });
      const dir = projectOn(
        runtime,
        envName(runtime, 'net-private'),
        [
          'mounts: [".:/www"]',
          `ports: ["127.0.0.1:${published}:8080"]`,
          'command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
        ],
        { 'index.html': 'environment says hi\n' },
      );
      editConfig(dir, 'network: none', 'network: private');
      await ok(user, dir, ['up', '-d']);

      let answer = '';
      await waitFor(
        async () => {
          answer = await fetch(`http://127.0.0.1:${published}/index.html`)
            .then((r) => r.text())
            .catch(() => '');
          return answer !== '';
        },
        `the published port ${published}`,
        120_000,
      );
      expect(answer).toBe('environment says hi\n');

      const reached = await ok(user, dir, [
        'exec',
        '--',
        'sh',
        '-c',
        `gw=$(ip route | awk '/^default/ {print $3}'); wget -qO- "http://$gw:${hostPort}/"`,
      ]);
      expect(reached).toBe('host says hi');
      await ok(user, dir, ['rm', '-f']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
