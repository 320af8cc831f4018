/**
 * The monitor of one running container (docs/embedded-runtime.md#containers): a small detached
 * process, in its own session with no terminal, that outlives the command that started it. It
 * starts the main process in the sandbox on a pty, keeps the size-capped session log, serves the
 * attach socket, runs the private network while the container runs, records the state when the main
 * process starts and when it ends, and then exits. The sandbox's holder kills the container should
 * the monitor die, so a container never runs unwatched.
 */
import { PassThrough } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { removeTree } from '../../../util/remove-tree.js';
import { shortSocketPath } from '../../../util/socket-path.js';
import type { Store } from '../store/index.js';
import { startSandbox } from '../sandbox/index.js';
import type { RunningSandbox } from '../sandbox/index.js';
import { startPrivateNetwork } from '../network/index.js';
import type { PrivateNetwork } from '../network/index.js';
import { serveAttach } from './attach-server.js';
import type { MainSession } from './main-session.js';
import { SessionLog } from './session-log.js';
import { processStart } from './liveness.js';
import { containerPaths, readConfig, readState, writeState } from './record.js';
import { prepareSandboxRoot } from './sandbox-root.js';
import type { ContainerConfig, ContainerPaths } from './record.js';

/** Set in the monitor's environment by tests: the private network may reach the host's loopback. */
export const HOST_LOOPBACK_VARIABLE = 'DEVENV_NETWORK_HOST_LOOPBACK';

/** The pty size before any client has said its own. */
const DEFAULT_SIZE = { rows: 24, cols: 80 };

/** What a started monitor tells the command that started it. */
export type MonitorReport = { ready: true } | { ready: false; error: DevenvError };

/**
 * Runs container `id` of `store` until its main process ends. `report` is called once: when the
 * container runs and its attach socket listens, or with the reason it could not start.
 */
export async function runMonitor(
  store: Store,
  id: string,
  env: Readonly<Record<string, string | undefined>>,
  report: (result: MonitorReport) => void,
): Promise<void> {
  const paths = containerPaths(store.paths.containersDir, id);
  const config = await readConfig(paths);
  if (config === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `no such container: ${id}`);
  let running: RunningSandbox | undefined;
  let network: PrivateNetwork | undefined;
  const log = await SessionLog.open(paths.dir);
  const stdin = new PassThrough();
  const listeners = new Set<(chunk: Buffer) => void>();
  try {
    running = await startContainerSandbox(
      store,
      config,
      paths,
      env,
      stdin,
      (chunk) => {
        log.append(chunk);
        for (const listener of listeners) listener(chunk);
      },
      (net) => {
        network = net;
      },
    );
  } catch (error) {
    await network?.close();
    await log.close();
    const previous = await readState(paths);
    const message = error instanceof Error ? error.message : String(error);
    await writeState(paths, {
      ...previous,
      status: previous.status === 'created' ? 'created' : 'exited',
      error: message,
    });
    report({
      ready: false,
      error: error instanceof DevenvError ? error : new DevenvError('DEVENV_RUNTIME_FAILED', message),
    });
    return;
  }
  const sandbox = running;
  const exited = sandbox.done.then((result) => result.exitCode);
  const session: MainSession = {
    write: (data) => stdin.write(data),
    resize: (rows, cols) => sandbox.resize(rows, cols),
    onOutput: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    exited,
  };
  // Kept open while the container runs: the socket's path goes through it.
  const socket = shortSocketPath(paths.socket);
  const server = await serveAttach({ socketPath: socket.path, session, snapshot: 'line' });
  const startedAt = new Date().toISOString();
  await writeState(paths, {
    status: 'running',
    pid: sandbox.pid,
    pidStart: processStart(sandbox.pid),
    monitorPid: process.pid,
    monitorStart: processStart(process.pid),
    rootPath: sandbox.root,
    ownNetwork: config.network !== 'host',
    published: network?.published ?? [],
    startedAt,
  });
  report({ ready: true });
  // A stop or a kill of the monitor by the system stops the container the way `stop` does.
  const stop = () => {
    sandbox.kill(config.stopSignal as NodeJS.Signals);
    setTimeout(() => {
      sandbox.kill('SIGKILL');
    }, 10_000).unref();
  };
  process.on('SIGTERM', stop);
  const exitCode = await exited;
  process.off('SIGTERM', stop);
  await writeState(paths, {
    status: 'exited',
    startedAt,
    finishedAt: new Date().toISOString(),
    exitCode,
  });
  await network?.close();
  await server.close();
  socket.close();
  await log.close();
  stdin.end();
}

async function startContainerSandbox(
  store: Store,
  config: ContainerConfig,
  paths: ContainerPaths,
  env: Readonly<Record<string, string | undefined>>,
  stdin: PassThrough,
  output: (chunk: Buffer) => void,
  onNetwork: (network: PrivateNetwork) => void,
): Promise<RunningSandbox> {
  // A monitor killed with SIGKILL leaves its sandbox's scratch files (the mounts went with it).
  await removeTree(paths.run);
  return startSandbox({
    ...(await prepareSandboxRoot(store, config, paths.dir)),
    argv: config.argv,
    env: config.env,
    tty: DEFAULT_SIZE,
    toolbox: true,
    stdin,
    output: { stdout: output, stderr: output },
    scratchDir: paths.run,
    beforeStart:
      config.network === 'private'
        ? async (pid) => {
            onNetwork(
              await startPrivateNetwork({
                pid,
                stateDir: paths.dir,
                ports: config.ports,
                hostLoopback: env[HOST_LOOPBACK_VARIABLE] === '1',
              }),
            );
          }
        : undefined,
  });
}
