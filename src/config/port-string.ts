/**
 * The published-port syntax `[IP:]HOST:CONTAINER[/proto]` or `CONTAINER[/proto]`, as `docker run -p`
 * takes it. Checked here, before a build, because Docker only looks at it when the container is
 * created and then answers with a message cut off mid-sentence.
 */

/** Protocols Docker can publish. */
export const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

/** The shape of a port string, for the JSON schema; {@link checkPort} checks the numbers too. */
export const PORT_PATTERN =
  '^(?:(?:\\d{1,3}\\.){3}\\d{1,3}:|\\[[0-9a-fA-F:.]+\\]:)?(?:(?:\\d{1,5}(?:-\\d{1,5})?)?:)?\\d{1,5}(?:-\\d{1,5})?(?:/(?:tcp|udp|sctp))?$';

/** What is wrong with a port and how to write it instead. */
export interface PortProblem {
  message: string;
  hint: string;
}

const SHAPE =
  /^(?:(?<ip>(?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:.]+\]):)?(?:(?<host>[^:/]*):)?(?<container>[^:/]*)(?:\/(?<proto>.*))?$/;
const RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;
const EXAMPLE = 'write "8000:80", "127.0.0.1:8000:80/tcp" or just the container port, "80"';

/** A port or range: its bounds, or a problem naming `what` (host or container). */
function parseRange(value: string, what: 'host' | 'container'): [number, number] | PortProblem {
  const match = RANGE.exec(value);
  if (match === null)
    return { message: `${what} port "${value}" is not a number or a range such as 8000-8010`, hint: EXAMPLE };
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  for (const n of [first, last]) {
    if (n === 0 && what === 'host')
      return {
        message:
          'host port 0 asks Docker for any free port, which changes every time the container is recreated',
        hint: 'write a fixed host port such as "2222:22", or only the container port ("22") if any free port will do',
      };
    if (n < 1 || n > 65535)
      return {
        message: `${what} port ${n} is out of range; ports are 1 to 65535`,
        hint: EXAMPLE,
      };
  }
  if (last < first)
    return { message: `${what} port range ${value} ends before it starts`, hint: `write ${last}-${first}` };
  return [first, last];
}

/**
 * One entry of `ports:`, taken apart. `host` is undefined when any free host port will do (a bare
 * container port, or `IP::CONTAINER`); a host range with one container port means "the first free
 * port of the range", as Docker reads it.
 */
export interface ParsedPort {
  /** The host address as written (`127.0.0.1`, `[::1]`), or undefined for all addresses. */
  ip: string | undefined;
  host: [number, number] | undefined;
  container: [number, number];
  protocol: (typeof PORT_PROTOCOLS)[number];
}

/** True when {@link parsePort} answered with a problem. */
export function isPortProblem(value: ParsedPort | PortProblem): value is PortProblem {
  return 'message' in value;
}

/**
 * Parses one entry of `ports:`; returns its parts, or the problem when Docker would not accept it.
 * @example parsePort('127.0.0.1:8000-8001:80-81/udp') // {ip: '127.0.0.1', host: [8000, 8001], container: [80, 81], protocol: 'udp'}
 */
export function parsePort(value: string | number): ParsedPort | PortProblem {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      return { message: `container port ${value} is out of range; ports are 1 to 65535`, hint: EXAMPLE };
    return { ip: undefined, host: undefined, container: [value, value], protocol: 'tcp' };
  }
  const groups = SHAPE.exec(value)?.groups;
  if (groups === undefined || groups['container'] === undefined)
    return { message: `"${value}" is not [IP:]HOST:CONTAINER[/tcp|udp|sctp]`, hint: EXAMPLE };
  const { ip, host, container, proto } = groups;
  if (ip !== undefined && !ip.startsWith('[') && ip.split('.').some((octet) => Number(octet) > 255))
    return {
      message: `"${ip}" is not an IPv4 address`,
      hint: 'write the address to listen on, such as 127.0.0.1',
    };
  const protocol = PORT_PROTOCOLS.find((known) => known === (proto ?? 'tcp'));
  if (protocol === undefined)
    return {
      message: `protocol "${proto}" is not one of ${PORT_PROTOCOLS.join(', ')}`,
      hint: `write ${value.slice(0, value.lastIndexOf('/'))}/tcp, or leave the protocol out for tcp`,
    };
  const inner = parseRange(container, 'container');
  if (!Array.isArray(inner)) return inner;
  if (host === undefined) {
    if (ip === undefined) return { ip, host: undefined, container: inner, protocol };
    return {
      message: `"${value}" gives an address and one port; Docker reads it as IP:HOST:CONTAINER`,
      hint: `write ${ip}:${container}:${container}, or ${ip}::${container} for any free host port`,
    };
  }
  // IP::CONTAINER is Docker's spelling of "any free port on that address", like a bare CONTAINER.
  if (host === '' && ip !== undefined) return { ip, host: undefined, container: inner, protocol };
  const outer = parseRange(host, 'host');
  if (!Array.isArray(outer)) return outer;
  const innerSize = inner[1] - inner[0];
  if (innerSize > 0 && outer[1] - outer[0] !== innerSize)
    return {
      message: `host range ${host} and container range ${container} have different lengths`,
      hint: 'give both ranges the same number of ports',
    };
  return { ip, host: outer, container: inner, protocol };
}

/**
 * Checks one entry of `ports:`; returns the problem, or `undefined` when Docker will accept it.
 * @example checkPort('99999:1') // {message: 'host port 99999 is out of range; …', hint: …}
 */
export function checkPort(value: string | number): PortProblem | undefined {
  const parsed = parsePort(value);
  return isPortProblem(parsed) ? parsed : undefined;
}
