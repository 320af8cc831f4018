/**
 * Reading a container's state and running a command in it: the hot path of `exec`, `status` and a
 * no-op `up`. It needs the container's records and the host's util-linux, nothing of the store's
 * images or layers, so this file imports no more than that (see containers.ts for the rest).
 */
import { constants as osConstants } from 'node:os';
import { DevenvError, EXIT_RUNTIME_FAILED } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';
import { closeInheritedDescriptors } from '../../../util/inherited-fds.js';
import type { ContainerState, ContainerSummary, RunOptions, Stdio } from '../../runtime.js';
import { hostTools } from '../sandbox/host-tools.js';
import { execArgv, execLaunch, execUser } from './exec-command.js';
import { isAlive } from './liveness.js';
import { containerPaths, findConfig, readState } from './record.js';
import type { ContainerConfig, ContainerStateFile } from './record.js';

/** The status Docker reports for a container killed with SIGKILL (what a dead monitor leaves). */
const KILLED_STATUS = 128 + osConstants.signals.SIGKILL;

/** No container of that name or id prefix. */
export function notFound(name: string): DevenvError {
  return new DevenvError('DEVENV_NOT_FOUND', `no such container: ${name}`, {
    hint: 'run devenv ls to see the environments of this runtime',
  });
}

function notRunning(name: string): DevenvError {
  return new DevenvError('DEVENV_RUNTIME_FAILED', `container ${name} is not running`, {
    hint: 'start it with devenv up (or devenv start)',
  });
}

/**
 * The state as it really is: a recorded "running" whose PID 1 or monitor is gone (or whose pid was
 * reused) is exited. A dead monitor counts at once: its holder is killing PID 1 as this is read.
 */
export function effectiveState(state: ContainerStateFile): ContainerStateFile {
  if (
    state.status !== 'running' ||
    (isAlive(state.pid, state.pidStart) && isAlive(state.monitorPid, state.monitorStart))
  )
    return state;
  return { status: 'exited', startedAt: state.startedAt, exitCode: state.exitCode ?? KILLED_STATUS };
}

/** The summary of the container `config` under `containersDir`, in its real state. */
export async function summaryOf(containersDir: string, config: ContainerConfig): Promise<ContainerSummary> {
  const state = effectiveState(await readState(containerPaths(containersDir, config.id)));
  const status: ContainerState = state.status;
  const requested = config.ports;
  return {
    id: config.id,
    name: config.name,
    image: config.image,
    imageId: config.imageId,
    state: status,
    exitCode: state.exitCode,
    created: config.created,
    startedAt: state.startedAt,
    labels: config.labels,
    mounts: config.mounts.map((mount) =>
      mount.type === 'bind'
        ? { type: 'bind', source: mount.source, target: mount.target }
        : { type: 'volume', source: mount.name, target: mount.target, name: mount.name },
    ),
    ports: status === 'running' ? (state.published ?? []) : [],
    requestedPorts: requested,
    network: {
      mode: config.network === 'private' ? 'private' : config.network,
      connected: status === 'running',
    },
  };
}

/** The container `name` under `containersDir`, or undefined. */
export async function inspectContainer(
  containersDir: string,
  name: string,
): Promise<ContainerSummary | undefined> {
  const config = await findConfig(containersDir, name);
  return config === undefined ? undefined : summaryOf(containersDir, config);
}

/**
 * The running container's records and the host pid of its PID 1, or DEVENV_RUNTIME_FAILED when it
 * does not run. The pid is trusted only together with its recorded start time (liveness.ts), so a
 * reused pid is never entered.
 */
export async function runningContainer(
  containersDir: string,
  name: string,
): Promise<{ config: ContainerConfig; state: ContainerStateFile; pid: number }> {
  const config = await findConfig(containersDir, name);
  if (config === undefined) throw notFound(name);
  const state = await readState(containerPaths(containersDir, config.id));
  if (effectiveState(state).status !== 'running' || state.pid === undefined) throw notRunning(name);
  return { config, state, pid: state.pid };
}

/** Runs `command` in the running container `name` (exec-command.ts says how); resolves with its status. */
export async function execInContainer(
  containersDir: string,
  name: string,
  command: readonly string[],
  options: RunOptions,
  stdio: Stdio,
): Promise<number> {
  const { config, state, pid } = await runningContainer(containersDir, name);
  const user = execUser(pid, options.user ?? config.user);
  const env = new Map<string, string>();
  for (const entry of config.env) {
    const eq = entry.indexOf('=');
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  env.set('HOSTNAME', config.hostname);
  if (!env.has('HOME') || options.user !== undefined) env.set('HOME', user.home);
  if (options.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  for (const [key, value] of Object.entries(options.env ?? {})) env.set(key, value);
  const tools = await hostTools();
  const argv = execArgv(
    {
      pid,
      ownNetwork: state.ownNetwork ?? config.network !== 'host',
      capabilities: config.capabilities,
      privileged: config.privileged,
      tools,
    },
    user,
    options.workdir ?? config.workdir,
    [...env].map(([key, value]) => `${key}=${value}`),
    command,
    options.tty,
  );
  const launch = execLaunch(argv, tools, options.tty);
  closeInheritedDescriptors();
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(launch.argv[0] as string, launch.argv.slice(1), {
      stdio: [options.interactive ? (stdio.stdinFd ?? stdio.stdin) : 'ignore', stdio.stdout, stdio.stderr],
      env: launch.env,
    });
    child.on('error', (error) => {
      reject(new DevenvError('DEVENV_RUNTIME_FAILED', `exec in ${name} failed: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      resolve(code ?? (signal === null ? EXIT_RUNTIME_FAILED : 128 + osConstants.signals[signal]));
    });
  });
}
