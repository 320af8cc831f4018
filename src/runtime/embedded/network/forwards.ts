/**
 * From devenv.yml's `ports:` to the host forwards slirp4netns makes, and back to the
 * `[IP:]HOST->CONTAINER/proto` form `status` shows. The port syntax is the config's own parser, so
 * the embedded runtime accepts exactly what validation and the Docker runtime accept.
 */
import { isPortProblem, parsePort } from '../../../config/port-string.js';
import { DevenvError } from '../../../errors.js';

/** The address a port without one is published on, as Docker does. */
export const ALL_ADDRESSES = '0.0.0.0';

/** One forward to make: a host address and port to the same port of the container. */
export interface HostForward {
  /** The entry of `ports:` it comes from, for messages. */
  source: string;
  protocol: 'tcp' | 'udp';
  hostAddress: string;
  /**
   * Host ports to try in order; the first one that is free is used. One port, except for a host
   * range mapped to one container port (Docker's "any port of the range"); empty for any free port.
   */
  hostPorts: number[];
  containerPort: number;
}

/** A forward that is in place. */
export interface MadeForward {
  protocol: 'tcp' | 'udp';
  hostAddress: string;
  hostPort: number;
  containerPort: number;
}

const HOW_TO_FIX = 'Fix this entry of `ports:` in devenv.yml.';

function inclusive([first, last]: [number, number]): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The forwards one entry of `ports:` asks for: one per container port of a range. */
function forwardsOf(source: string): HostForward[] {
  const parsed = parsePort(source);
  if (isPortProblem(parsed))
    throw new DevenvError('DEVENV_CONFIG_INVALID', `ports: "${source}": ${parsed.message}`, {
      hint: `${parsed.hint[0]?.toUpperCase() ?? ''}${parsed.hint.slice(1)}. ${HOW_TO_FIX}`,
    });
  if (parsed.protocol === 'sctp')
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `ports: "${source}": the embedded runtime's private network publishes tcp and udp, not sctp`,
      { hint: `Publish it as tcp or udp, or use network: host. ${HOW_TO_FIX}` },
    );
  if (parsed.ip?.startsWith('[') === true)
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `ports: "${source}": the embedded runtime's private network publishes on IPv4 addresses only (slirp4netns forwards IPv4)`,
      { hint: `Write an IPv4 address such as 127.0.0.1, or leave the address out. ${HOW_TO_FIX}` },
    );
  const { protocol, host, container } = parsed;
  const hostAddress = parsed.ip ?? ALL_ADDRESSES;
  const containerPorts = inclusive(container);
  if (host === undefined)
    return containerPorts.map((containerPort) => ({
      source,
      protocol,
      hostAddress,
      hostPorts: [],
      containerPort,
    }));
  const hostPorts = inclusive(host);
  if (containerPorts.length === 1)
    return [{ source, protocol, hostAddress, hostPorts, containerPort: container[0] }];
  return containerPorts.map((containerPort, i) => ({
    source,
    protocol,
    hostAddress,
    hostPorts: [hostPorts[i] ?? host[0] + i],
    containerPort,
  }));
}

/**
 * Every forward `ports` asks for, in order. Throws a `DevenvError` naming the entry for a port
 * devenv.yml could not hold, or one the private network cannot publish (sctp, an IPv6 address).
 * @example hostForwards(['8000-8001:80-81/udp']).length // 2
 */
export function hostForwards(ports: readonly string[]): HostForward[] {
  return ports.flatMap(forwardsOf);
}

/**
 * `127.0.0.1:8080->80/tcp`, or `8080->80/tcp` on all addresses: the form the Docker runtime reports
 * for the same binding.
 */
export function publishedPort(forward: MadeForward): string {
  const address = forward.hostAddress === ALL_ADDRESSES ? '' : `${forward.hostAddress}:`;
  return `${address}${forward.hostPort}->${forward.containerPort}/${forward.protocol}`;
}
