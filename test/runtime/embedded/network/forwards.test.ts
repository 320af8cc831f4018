/**
 * The pure half of the private network: `ports:` entries become the forwards slirp4netns makes
 * (Docker's defaults and range rules, errors naming the entry), forwards are shown as `status`
 * shows Docker's, the container's /etc files, and the slirp4netns command line.
 */
import { describe, expect, it } from 'vitest';
import { parsePort } from '../../../../src/config/port-string.js';
import { DevenvError } from '../../../../src/errors.js';
import { hostForwards, publishedPort } from '../../../../src/runtime/embedded/network/forwards.js';
import { privateNetworkFiles } from '../../../../src/runtime/embedded/network/index.js';
import { slirpArgs } from '../../../../src/runtime/embedded/network/slirp-process.js';
import { slirpVersion } from '../../../../src/runtime/embedded/network/support.js';

function errorOf(ports: string[]): DevenvError {
  try {
    hostForwards(ports);
  } catch (error) {
    if (error instanceof DevenvError) return error;
    throw error;
  }
  throw new Error(`hostForwards accepted ${ports.join(', ')}`);
}

describe('parsePort', () => {
  it('takes an entry apart', () => {
    expect(parsePort('127.0.0.1:8000-8001:80-81/udp')).toEqual({
      ip: '127.0.0.1',
      host: [8000, 8001],
      container: [80, 81],
      protocol: 'udp',
    });
    expect(parsePort(80)).toEqual({ ip: undefined, host: undefined, container: [80, 80], protocol: 'tcp' });
    expect(parsePort('127.0.0.1::80')).toMatchObject({ ip: '127.0.0.1', host: undefined });
    expect(parsePort('0:80')).toMatchObject({ message: expect.stringContaining('host port 0') as string });
  });
});

describe('hostForwards', () => {
  it('publishes on all addresses over tcp by default, as Docker does', () => {
    expect(hostForwards(['8080:80'])).toEqual([
      { source: '8080:80', protocol: 'tcp', hostAddress: '0.0.0.0', hostPorts: [8080], containerPort: 80 },
    ]);
  });

  it('keeps the address and protocol as written', () => {
    expect(hostForwards(['127.0.0.1:5353:53/udp'])).toEqual([
      {
        source: '127.0.0.1:5353:53/udp',
        protocol: 'udp',
        hostAddress: '127.0.0.1',
        hostPorts: [5353],
        containerPort: 53,
      },
    ]);
  });

  it('makes one forward per port of a range, pairing host and container ports in order', () => {
    expect(hostForwards(['9000-9002:7000-7002']).map((f) => [f.hostPorts, f.containerPort])).toEqual([
      [[9000], 7000],
      [[9001], 7001],
      [[9002], 7002],
    ]);
  });

  it('a host range for one container port is a list of candidates; a bare container port takes any', () => {
    expect(hostForwards(['9000-9002:80'])).toEqual([
      {
        source: '9000-9002:80',
        protocol: 'tcp',
        hostAddress: '0.0.0.0',
        hostPorts: [9000, 9001, 9002],
        containerPort: 80,
      },
    ]);
    expect(hostForwards(['80', '127.0.0.1::81'])).toEqual([
      { source: '80', protocol: 'tcp', hostAddress: '0.0.0.0', hostPorts: [], containerPort: 80 },
      {
        source: '127.0.0.1::81',
        protocol: 'tcp',
        hostAddress: '127.0.0.1',
        hostPorts: [],
        containerPort: 81,
      },
    ]);
  });

  it('a port devenv.yml could not hold is DEVENV_CONFIG_INVALID naming the entry, with a hint', () => {
    for (const bad of ['99999:80', '8080:0', 'web:80', '8000-8001:80-82', '300.1.1.1:80:80']) {
      const error = errorOf([bad]);
      expect(error.code).toBe('DEVENV_CONFIG_INVALID');
      expect(error.message).toContain(`ports: "${bad}"`);
      expect(error.hint).toContain('devenv.yml');
    }
  });

  it('sctp and IPv6 addresses, which slirp4netns cannot forward, are DEVENV_UNSUPPORTED', () => {
    expect(errorOf(['8080:80/sctp'])).toMatchObject({
      code: 'DEVENV_UNSUPPORTED',
      message: expect.stringContaining('sctp') as string,
    });
    expect(errorOf(['[::1]:8080:80'])).toMatchObject({
      code: 'DEVENV_UNSUPPORTED',
      message: expect.stringContaining('IPv4') as string,
    });
  });
});

describe('publishedPort', () => {
  it('is the form the Docker runtime reports: no address for all addresses', () => {
    expect(
      publishedPort({ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, containerPort: 80 }),
    ).toBe('127.0.0.1:8080->80/tcp');
    expect(
      publishedPort({ protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 5353, containerPort: 53 }),
    ).toBe('5353->53/udp');
  });
});

describe('privateNetworkFiles', () => {
  it('names the container by its slirp4netns address and uses slirp4netns DNS by default', () => {
    const files = privateNetworkFiles('web-dev', []);
    expect(files.hosts.split('\n')).toContain('127.0.0.1\tlocalhost');
    expect(files.hosts.split('\n')).toContain('::1\tlocalhost ip6-localhost ip6-loopback');
    expect(files.hosts.endsWith('10.0.2.100\tweb-dev\n')).toBe(true);
    expect(files.resolvConf).toBe('nameserver 10.0.2.3\n');
  });

  it('lists the given DNS servers instead', () => {
    expect(privateNetworkFiles('x', ['1.1.1.1', '9.9.9.9']).resolvConf).toBe(
      'nameserver 1.1.1.1\nnameserver 9.9.9.9\n',
    );
  });
});

describe('slirp4netns', () => {
  it('is started configured, sandboxed, tied to devenv, and without host loopback unless asked', () => {
    const args = slirpArgs({ pid: 42, apiSocket: 'api.sock', hostLoopback: false });
    expect(args).toEqual(
      expect.arrayContaining([
        '--configure',
        '--mtu=65520',
        '--disable-host-loopback',
        '--enable-sandbox',
        '--enable-seccomp',
      ]),
    );
    expect(args.slice(-2)).toEqual(['42', 'tap0']);
    expect(slirpArgs({ pid: 42, apiSocket: 'api.sock', hostLoopback: true })).not.toContain(
      '--disable-host-loopback',
    );
  });

  it('reads its version', () => {
    expect(slirpVersion('slirp4netns version 1.2.0\ncommit: 656041d')).toEqual([1, 2]);
    expect(slirpVersion('something else')).toBeUndefined();
  });
});
