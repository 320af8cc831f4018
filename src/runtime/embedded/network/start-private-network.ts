/**
 * A container's private network: slirp4netns gives the namespace outbound access, then one
 * `add_hostfwd` per published port. Either all of it is in place or nothing is left running.
 */
import { closeSync, openSync } from 'node:fs';
import { rm } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { bindError, freePort } from './host-ports.js';
import { hostForwards, publishedPort } from './forwards.js';
import type { HostForward, MadeForward } from './forwards.js';
import { slirpRequest } from './slirp-api.js';
import type { SlirpAnswer, SlirpRequest } from './slirp-api.js';
import { startSlirp } from './slirp-process.js';
import { slirpBinary } from './support.js';
import { runningStartTime, watchProcess } from './target-process.js';

/** What {@link startPrivateNetwork} needs. */
export interface PrivateNetworkOptions {
  /** Host pid of a process in the container's network namespace. */
  pid: number;
  /** The container's folder (0700); the API socket lives there. */
  stateDir: string;
  /** Ports as devenv.yml gives them (`8080:80`, `127.0.0.1:8080:80/tcp`, `53:53/udp`, …). */
  ports: readonly string[];
  /**
   * Let the container reach the host's loopback through the gateway (10.0.2.2). Off by default
   * (slirp4netns --disable-host-loopback); tests turn it on.
   */
  hostLoopback: boolean;
}

/** A private network in place. */
export interface PrivateNetwork {
  /** Published ports as `ContainerSummary.ports` shows them: `127.0.0.1:8080->80/tcp`. */
  published: string[];
  /** Stops slirp4netns (the namespace's outbound access and forwards end). Idempotent. */
  close(): Promise<void>;
  /**
   * Resolves once slirp4netns has exited: after {@link close}, or by itself, when the namespace's
   * process is gone (devenv then stops slirp4netns, which would otherwise keep the namespace alive)
   * or slirp4netns died. The socket file is removed by then.
   */
  exited: Promise<void>;
}

/** The API socket's name inside the state folder. */
export const API_SOCKET = 'slirp4netns.sock';
/** slirp4netns is ready in well under a second; a machine busy with builds may take far longer. */
const READY_TIMEOUT_MS = 60_000;
/** Attempts at a kernel-chosen free port, which another process may take before slirp4netns binds it. */
const FREE_PORT_ATTEMPTS = 5;

const FIX_PORT = 'Free the port on the host, or change it in `ports:` in devenv.yml.';

/** Why binding a host port failed, in words, from the error code devenv's own bind got. */
function unavailable(forward: HostForward, port: number, code: string | undefined): DevenvError {
  const where = `${forward.hostAddress}:${port === 0 ? 'any port' : port}/${forward.protocol}`;
  const prefix = `ports: "${forward.source}": cannot publish on ${where}`;
  if (code === 'EADDRINUSE')
    return new DevenvError('DEVENV_BUSY', `${prefix}: the port is already in use on the host`, {
      hint: `${FIX_PORT} \`ss -lntup\` shows what listens there.`,
    });
  if (code === 'EADDRNOTAVAIL')
    return new DevenvError(
      'DEVENV_CONFIG_INVALID',
      `${prefix}: ${forward.hostAddress} is not an address of this host`,
      {
        hint: 'Write an address this host has, such as 127.0.0.1, or leave the address out, in `ports:` in devenv.yml.',
      },
    );
  return new DevenvError(
    'DEVENV_RUNTIME_FAILED',
    `${prefix}: slirp4netns refused the forward${code === undefined ? '' : ` (${code})`}`,
    {
      hint: FIX_PORT,
    },
  );
}

/** Sends one request; slirp4netns that stopped answering (it died, its namespace went) is our failure to report. */
async function request(socket: string, body: SlirpRequest, forward: HostForward): Promise<SlirpAnswer> {
  try {
    return await slirpRequest(socket, body);
  } catch (error) {
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `ports: "${forward.source}": slirp4netns did not answer on its API socket (${(error as Error).message})`,
      {
        hint: 'Check that the container is still running (its logs say why it stopped), then start it again.',
        cause: error,
      },
    );
  }
}

/** Makes one forward through the API socket, trying each allowed host port in turn. */
async function addForward(socket: string, forward: HostForward): Promise<MadeForward> {
  const fixed = forward.hostPorts.length > 0;
  const attempts = fixed ? forward.hostPorts.length : FREE_PORT_ATTEMPTS;
  let lastPort = forward.hostPorts[0] ?? 0;
  let lastCode: string | undefined;
  if (!fixed) {
    // An address this host lacks fails here, before a kernel-chosen port is asked of it.
    const code = await bindError(forward.protocol, forward.hostAddress, 0);
    if (code !== undefined) throw unavailable(forward, 0, code);
  }
  for (let i = 0; i < attempts; i++) {
    const hostPort = fixed
      ? (forward.hostPorts[i] ?? lastPort)
      : await freePort(forward.protocol, forward.hostAddress);
    const answer = await request(
      socket,
      {
        execute: 'add_hostfwd',
        arguments: {
          proto: forward.protocol,
          host_addr: forward.hostAddress,
          host_port: hostPort,
          guest_port: forward.containerPort,
        },
      },
      forward,
    );
    if (answer.ok)
      return {
        protocol: forward.protocol,
        hostAddress: forward.hostAddress,
        hostPort,
        containerPort: forward.containerPort,
      };
    lastPort = hostPort;
    lastCode = await bindError(forward.protocol, forward.hostAddress, hostPort);
  }
  if (fixed && forward.hostPorts.length > 1 && lastCode === 'EADDRINUSE')
    throw new DevenvError(
      'DEVENV_BUSY',
      `ports: "${forward.source}": every host port of ${forward.hostPorts[0]}-${lastPort} is already in use`,
      { hint: FIX_PORT },
    );
  throw unavailable(forward, lastPort, lastCode);
}

/**
 * Gives the network namespace of `options.pid` outbound access and publishes `options.ports` on
 * the host. Throws a `DevenvError` for a port devenv.yml cannot publish (naming it), a host port in
 * use, slirp4netns missing or failing; in every case nothing is left running.
 */
export async function startPrivateNetwork(options: PrivateNetworkOptions): Promise<PrivateNetwork> {
  const forwards = hostForwards(options.ports);
  const binary = await slirpBinary();
  const startTime = await runningStartTime(options.pid);
  if (startTime === undefined)
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `cannot set up a private network: process ${options.pid} is not running`,
      {
        hint: 'The container stopped while it was starting; see its logs.',
      },
    );
  const socketFile = path.join(options.stateDir, API_SOCKET);
  await rm(socketFile, { force: true });
  // A socket path is limited to 107 bytes, which a deep state folder exceeds; so slirp4netns binds
  // the name relative to its working directory, and devenv connects through a descriptor of the folder.
  const dirFd = openSync(options.stateDir, 'r');
  const socket = `/proc/self/fd/${dirFd}/${API_SOCKET}`;
  let slirp;
  try {
    slirp = await startSlirp({
      binary,
      pid: options.pid,
      apiSocket: API_SOCKET,
      cwd: options.stateDir,
      hostLoopback: options.hostLoopback,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
  } catch (error) {
    closeSync(dirFd);
    throw error;
  }
  const running = slirp;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unwatch();
      await running.stop();
      closeSync(dirFd);
      await rm(socketFile, { force: true });
    })();
    return closing;
  };
  const unwatch = watchProcess(options.pid, startTime, () => void running.stop());
  const exited = running.exited.then(() => close());
  try {
    const made: MadeForward[] = [];
    for (const forward of forwards) made.push(await addForward(socket, forward));
    return { published: made.map(publishedPort), close, exited };
  } catch (error) {
    await close();
    throw error;
  }
}
