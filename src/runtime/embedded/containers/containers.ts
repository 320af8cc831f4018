/**
 * The container half of the embedded runtime (docs/embedded-runtime.md#containers): records in the
 * store, a detached monitor per running container, exec through nsenter, attach through the
 * monitor's socket, the session log, commit of the writable layer, and throwaway `run` containers.
 * Every method opens what it needs; there is no daemon to ask.
 */
import { chmod, mkdir, rename } from '../../../util/fs-async.js';
import { openSync, closeSync } from 'node:fs';
import path from '../../../util/node-path.js';
import type { Readable, Writable } from 'node:stream';
import { DevenvError } from '../../../errors.js';
import { LABELS } from '../../../plan/compile-plan.js';
import type { RunSpec } from '../../../plan/types.js';
import { childProcess } from '../../../util/child-process.js';
import { removeTree } from '../../../util/remove-tree.js';
import { shortSocketPath } from '../../../util/socket-path.js';
import type {
  AttachResult,
  CommitOptions,
  ContainerSummary,
  ImageSummary,
  RunOptions,
  Stdio,
  VolumeSummary,
} from '../../runtime.js';
import { withLock } from '../store/index.js';
import type { Store } from '../store/index.js';
import { runInSandbox, startSandbox } from '../sandbox/index.js';
import { HOST_PATH } from '../sandbox/host-tools.js';
import { privateNetworkSupport } from '../network/index.js';
import * as volumes from '../volumes/index.js';
import { attachClient } from './attach-client.js';
import { parseDetachKeys } from './detach-keys.js';
import { readSessionLog } from './session-log.js';
import { commitContainer } from './commit.js';
import { containerConfigOf } from './container-config.js';
import type { ImageRunDefaults } from './container-config.js';
import { isAlive } from './liveness.js';
import { monitorCommand } from './monitor-command.js';
import { effectiveState, execInContainer, notFound, runningContainer, summaryOf } from './running.js';
import {
  containerPaths,
  findConfig,
  listConfigs,
  newContainerId,
  readState,
  writeConfig,
  writeState,
} from './record.js';
import type { ContainerConfig } from './record.js';
import { prepareSandboxRoot } from './sandbox-root.js';

/** Docker's default detach keys; the only ones devenv uses so far. */
const DETACH_KEYS = 'ctrl-p,ctrl-q';

/** How long a monitor may take to start the container on a busy machine. */
const START_TIMEOUT_MS = 120_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The container half of {@link Runtime} on one store. */
export class EmbeddedContainers {
  private readonly store: Store;
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(store: Store, env: Readonly<Record<string, string | undefined>>) {
    this.store = store;
    this.env = env;
  }

  private get dir(): string {
    return this.store.paths.containersDir;
  }

  private lockFile(): string {
    return path.join(this.store.paths.locksDir, 'containers.lock');
  }

  private async find(name: string): Promise<ContainerConfig> {
    const config = await findConfig(this.dir, name);
    if (config === undefined) throw notFound(name);
    return config;
  }

  /** The image fields a container starts from. */
  private async imageDefaults(ref: string): Promise<ImageRunDefaults> {
    const id = await this.store.refs.resolve(ref).catch(() => undefined);
    if (id === undefined)
      throw new DevenvError('DEVENV_NOT_FOUND', `image ${ref} does not exist`, { hint: 'run devenv build' });
    const summary = await this.store.summary(id);
    const { config } = await this.store.images.config(id);
    const run = (config.config ?? {}) as { User?: unknown; WorkingDir?: unknown; StopSignal?: unknown };
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    return {
      id,
      entrypoint: summary.entrypoint,
      cmd: summary.cmd,
      env: summary.env,
      user: text(run.User),
      workdir: text(run.WorkingDir),
      stopSignal: text(run.StopSignal),
    };
  }

  /** Creates the named volumes a container mounts that do not exist yet, labelled with their owner. */
  private async ensureVolumes(config: ContainerConfig): Promise<void> {
    const owner = config.labels[LABELS.name] ?? config.labels[LABELS.runOf];
    const existing = new Set((await volumes.listVolumes({ store: this.store })).map((v) => v.name));
    for (const name of config.volumes)
      if (!existing.has(name))
        await volumes.createVolume(
          { store: this.store },
          name,
          owner === undefined ? {} : { [LABELS.name]: owner },
        );
  }

  async create(
    spec: RunSpec,
    secretEnvFile: string | undefined,
    upperFrom?: string,
  ): Promise<ContainerSummary> {
    if (spec.network === 'private') {
      const support = await privateNetworkSupport();
      if (!support.ok)
        throw new DevenvError(
          'DEVENV_RUNTIME_MISSING',
          `network: private needs slirp4netns: ${support.reason}`,
          {
            hint: support.hint,
          },
        );
    }
    const image = await this.imageDefaults(spec.image);
    const id = newContainerId();
    const config = containerConfigOf(id, spec, image, secretEnvFile, new Date());
    await this.ensureVolumes(config);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await withLock(this.lockFile(), { purpose: `creating container ${spec.name}` }, async () => {
      if ((await findConfig(this.dir, spec.name)) !== undefined)
        throw new DevenvError('DEVENV_FILE_EXISTS', `a container named ${spec.name} already exists`, {
          hint: `remove it first (devenv rm ${spec.name})`,
        });
      // Built under a name no reader lists, then renamed: a container is there whole or not at all.
      const staging = path.join(this.dir, `.creating-${id}`);
      const paths = containerPaths(staging, '');
      await mkdir(staging, { mode: 0o700 });
      if (upperFrom !== undefined) await rename(upperFrom, paths.upper);
      else await mkdir(paths.upper, { mode: 0o755 });
      await writeConfig(paths, config);
      await writeState(paths, { status: 'created' });
      await rename(staging, path.join(this.dir, id));
    });
    return summaryOf(this.dir, config);
  }

  /**
   * Replaces container `name` with one made from `spec`, moving its writable layer across: the
   * files stay exactly as they are, with no commit (docs/embedded-runtime.md#drift).
   */
  async recreateKeepingFiles(
    name: string,
    spec: RunSpec,
    secretEnvFile: string | undefined,
  ): Promise<ContainerSummary> {
    const old = await this.find(name);
    await this.stop(name, 10);
    const oldPaths = containerPaths(this.dir, old.id);
    const parked = path.join(this.dir, `.upper-${old.id}`);
    await rename(oldPaths.upper, parked);
    await this.remove(name, { force: true });
    try {
      return await this.create(spec, secretEnvFile, parked);
    } catch (error) {
      // Nothing may be lost: put the files back where a retry (or the user) finds them.
      await mkdir(oldPaths.dir, { recursive: true }).catch(() => undefined);
      throw new DevenvError(
        'DEVENV_RUNTIME_FAILED',
        `recreating ${name} failed (${(error as Error).message}); its files are kept in ${parked}`,
        { hint: 'fix the cause and run devenv up again', cause: error },
      );
    }
  }

  async start(name: string): Promise<void> {
    const config = await this.find(name);
    const paths = containerPaths(this.dir, config.id);
    if (effectiveState(await readState(paths)).status === 'running') return;
    const log = openSync(paths.monitorLog, 'a', 0o600);
    const child = childProcess().spawn(process.execPath, monitorCommand(this.store.root, config.id), {
      detached: true,
      stdio: ['ignore', log, log, 'pipe'],
      env: { ...this.env, PATH: this.env['PATH'] ?? HOST_PATH },
    });
    closeSync(log);
    const channel = child.stdio[3] as Readable;
    const line = await new Promise<string>((resolve) => {
      let text = '';
      const timer = setTimeout(() => {
        resolve('timeout');
      }, START_TIMEOUT_MS);
      channel.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      channel.on('error', () => undefined);
      channel.on('close', () => {
        clearTimeout(timer);
        resolve(text.trim());
      });
    });
    channel.destroy();
    child.unref();
    if (line === 'ready') return;
    if (line.startsWith('fail\t')) {
      const failure = JSON.parse(line.slice(5)) as { code: string; message: string; hint?: string };
      throw new DevenvError(failure.code as DevenvError['code'], `cannot start ${name}: ${failure.message}`, {
        hint: failure.hint,
      });
    }
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      line === 'timeout'
        ? `${name} did not start within ${START_TIMEOUT_MS / 1000} s`
        : `the monitor of ${name} exited before the container started`,
      { hint: `see ${paths.monitorLog}` },
    );
  }

  async stop(name: string, timeoutSeconds = 10): Promise<void> {
    const config = await this.find(name);
    const paths = containerPaths(this.dir, config.id);
    const state = await readState(paths);
    if (effectiveState(state).status !== 'running' || state.pid === undefined) return;
    const pid = state.pid;
    const signal = (name: NodeJS.Signals) => {
      if (isAlive(pid, state.pidStart))
        try {
          process.kill(pid, name);
        } catch {
          // gone meanwhile
        }
    };
    signal(config.stopSignal as NodeJS.Signals);
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (isAlive(pid, state.pidStart) && Date.now() < deadline) await sleep(50);
    signal('SIGKILL');
    // The monitor records the exit and tidies up; wait for it, not only for PID 1.
    const monitorDeadline = Date.now() + 30_000;
    while (Date.now() < monitorDeadline) {
      const now = await readState(paths);
      if (now.status !== 'running' && !isAlive(state.monitorPid, state.monitorStart)) return;
      if (!isAlive(state.monitorPid, state.monitorStart)) return;
      await sleep(50);
    }
  }

  async remove(name: string, options: { force: boolean }): Promise<void> {
    const config = await this.find(name);
    const paths = containerPaths(this.dir, config.id);
    if (effectiveState(await readState(paths)).status === 'running') {
      if (!options.force)
        throw new DevenvError('DEVENV_RUNTIME_FAILED', `container ${name} is running`, {
          hint: `stop it first (devenv stop), or remove it with -f`,
        });
      await this.stop(name, 0);
    }
    const doomed = path.join(this.dir, `.removing-${config.id}`);
    await withLock(this.lockFile(), { purpose: `removing container ${name}` }, () =>
      rename(paths.dir, doomed),
    );
    // overlayfs leaves work/work with mode 000.
    await chmod(path.join(doomed, 'work', 'work'), 0o700).catch(() => undefined);
    await removeTree(doomed);
  }

  async inspect(name: string): Promise<ContainerSummary | undefined> {
    const config = await findConfig(this.dir, name);
    return config === undefined ? undefined : summaryOf(this.dir, config);
  }

  async attach(name: string, stdio: Stdio): Promise<AttachResult> {
    const { config } = await runningContainer(this.dir, name);
    const paths = containerPaths(this.dir, config.id);
    const socket = shortSocketPath(paths.socket);
    let result;
    try {
      result = await attachClient({
        socketPath: socket.path,
        stdio,
        detachKeys: parseDetachKeys(DETACH_KEYS),
      });
    } finally {
      socket.close();
    }
    if (result.kind !== 'closed') return result;
    // The socket went away without a status: read what the monitor recorded.
    for (let i = 0; i < 100; i++) {
      const state = effectiveState(await readState(paths));
      if (state.status !== 'running') return { kind: 'exited', status: state.exitCode ?? 0 };
      await sleep(50);
    }
    return { kind: 'detached' };
  }

  async exec(name: string, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number> {
    return execInContainer(this.dir, name, command, options, stdio);
  }

  async runOnce(
    spec: RunSpec,
    command: readonly string[],
    options: RunOptions,
    stdio: Stdio,
  ): Promise<number> {
    const image = await this.imageDefaults(spec.image);
    const config = containerConfigOf(
      newContainerId(),
      { ...spec, persist: false },
      image,
      undefined,
      new Date(),
    );
    await this.ensureVolumes(config);
    const scratch = path.join(this.store.paths.tmpDir, `run-${config.id.slice(0, 12)}`);
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    try {
      const root = await prepareSandboxRoot(this.store, config, scratch);
      const sandboxBase = {
        ...root,
        argv: command.length === 0 ? config.argv : [...command],
        env: [...config.env, ...Object.entries(spec.secretEnv).map(([k, v]) => `${k}=${v}`)],
        scratchDir: path.join(scratch, 'run'),
      };
      if (!options.tty)
        return (
          await runInSandbox({
            ...sandboxBase,
            stdin: options.interactive ? stdio.stdin : 'ignore',
            output: {
              stdout: (chunk) => stdio.stdout.write(chunk),
              stderr: (chunk) => stdio.stderr.write(chunk),
            },
          })
        ).exitCode;
      const { stdin, stdout } = stdio;
      const raw = stdin.isTTY === true && stdin.setRawMode !== undefined;
      const running = await startSandbox({
        ...sandboxBase,
        tty: { rows: stdout.rows ?? 24, cols: stdout.columns ?? 80 },
        stdin,
        output: { stdout: (chunk) => stdout.write(chunk), stderr: (chunk) => stdout.write(chunk) },
      });
      const onResize = () => void running.resize(stdout.rows ?? 24, stdout.columns ?? 80);
      if (raw) stdin.setRawMode?.(true);
      stdout.on('resize', onResize);
      try {
        return (await running.done).exitCode;
      } finally {
        stdout.off('resize', onResize);
        if (raw) stdin.setRawMode?.(false);
        stdin.unpipe();
        stdin.pause();
      }
    } finally {
      await chmod(path.join(scratch, 'work', 'work'), 0o700).catch(() => undefined);
      await removeTree(scratch);
    }
  }

  async logs(
    name: string,
    options: { follow: boolean; tail?: number | undefined },
    output: Writable,
  ): Promise<void> {
    const config = await this.find(name);
    const paths = containerPaths(this.dir, config.id);
    await readSessionLog(paths.dir, {
      tail: options.tail,
      follow: options.follow,
      output,
      running: async () => effectiveState(await readState(paths)).status === 'running',
    });
  }

  async commit(name: string, options: CommitOptions): Promise<ImageSummary> {
    const config = await this.find(name);
    const id = await commitContainer(this.store, config, containerPaths(this.dir, config.id), options);
    return this.store.summary(id);
  }

  /** findProgram: `command -v PROGRAM` in a throwaway sandbox of `image` without network. */
  async findProgram(image: string, program: string): Promise<string | undefined> {
    const defaults = await this.imageDefaults(image);
    const config = containerConfigOf(
      newContainerId(),
      {
        name: 'find-program',
        image,
        hostname: 'devenv',
        env: {},
        secretEnv: {},
        mounts: [],
        devices: { usb: false, gpu: false, paths: [] },
        network: 'none',
        ports: [],
        dns: [],
        init: false,
        privileged: false,
        persist: false,
        shell: '/bin/sh',
        hooks: { create: [], start: [] },
        labels: {},
      },
      defaults,
      undefined,
      new Date(),
    );
    const scratch = path.join(this.store.paths.tmpDir, `find-${config.id.slice(0, 12)}`);
    await mkdir(scratch, { recursive: true, mode: 0o700 });
    let out = '';
    try {
      const root = await prepareSandboxRoot(this.store, config, scratch);
      const result = await runInSandbox({
        ...root,
        user: '',
        cwd: '/',
        argv: ['/bin/sh', '-c', 'command -v "$1"', 'sh', program],
        env: config.env,
        output: { stdout: (chunk) => (out += chunk.toString()), stderr: () => undefined },
        scratchDir: path.join(scratch, 'run'),
      });
      if (result.exitCode !== 0) return undefined;
    } catch (error) {
      // An image without /bin/sh cannot be asked.
      if (error instanceof DevenvError && error.code === 'DEVENV_RUNTIME_FAILED') return undefined;
      throw error;
    } finally {
      await chmod(path.join(scratch, 'work', 'work'), 0o700).catch(() => undefined);
      await removeTree(scratch);
    }
    const found = out.trim();
    return found.startsWith('/') ? found : undefined;
  }

  /** Names of containers that mount volume `name`. */
  private async usersOf(name: string): Promise<string[]> {
    return (await listConfigs(this.dir)).filter((c) => c.volumes.includes(name)).map((c) => c.name);
  }

  listVolumes(): Promise<VolumeSummary[]> {
    return volumes.listVolumes({ store: this.store });
  }
  createVolume(name: string, labels: Record<string, string>): Promise<void> {
    return volumes.createVolume({ store: this.store }, name, labels);
  }
  async removeVolume(name: string): Promise<void> {
    await volumes.removeVolume({ store: this.store }, name, await this.usersOf(name));
  }
  exportVolume(name: string, output: Writable): Promise<void> {
    return volumes.exportVolume({ store: this.store }, name, output);
  }
  importVolume(name: string, input: Readable): Promise<void> {
    return volumes.importVolume({ store: this.store }, name, input);
  }
}
