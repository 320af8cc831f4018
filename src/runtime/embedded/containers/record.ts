/**
 * A container of the embedded runtime as files in the store (docs/embedded-runtime.md#containers):
 *
 * ```
 * containers/<id>/config.json   what it is: written once, when it is created
 * containers/<id>/state.json    how it is: rewritten (atomically) on every start and exit
 * containers/<id>/upper/        its writable layer (overlay upper dir); work/ beside it
 * containers/<id>/run/          the running sandbox's scratch files (gone when it stops)
 * containers/<id>/attach.sock   the monitor's attach socket, while it runs
 * containers/<id>/session.log   the main session's output (size-capped, one older file kept)
 * ```
 *
 * The id is random, the name is unique among the store's containers (a lock around create and
 * rename makes it so). The proxy values never reach either JSON file: the container binds the host
 * file that holds them.
 */
import { crypto } from '../../../util/crypto.js';
import { readdir, readFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { writeFileAtomic } from '../../../util/atomic.js';
import {
  array,
  boolean,
  integer,
  object,
  oneOf,
  optional,
  parseJsonShape,
  record,
  ShapeError,
  string,
} from '../../../util/shape.js';
import type { Check, Checked } from '../../../util/shape.js';

// Plain typed checks rather than zod: every exec and status reads these files, and loading zod
// would cost more than the rest of the read.

const bindMount = object({ type: oneOf('bind'), source: string, target: string, readonly: boolean });
const volumeMount = object({ type: oneOf('volume'), name: string, target: string, readonly: boolean });

const mount: Check<Checked<typeof bindMount> | Checked<typeof volumeMount>> = (value, at) => {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'volume' ? volumeMount(value, at) : bindMount(value, at);
};

/** A mount as the container applies it: a host path, or a named volume of the store. */
export type ContainerMount = Checked<typeof mount>;

const containerId: Check<string> = (value, at) => {
  const id = string(value, at);
  if (!/^[a-f0-9]{64}$/.test(id)) throw new ShapeError(at, '64 hex digits', value);
  return id;
};

const device = object({ source: string, target: string, kind: oneOf('node', 'tree') });

const configShape = object({
  id: containerId,
  name: string,
  created: string,
  /** The image reference it was created from, as given. */
  image: string,
  /** `sha256:` id of that image: a GC root of the store. */
  imageId: string,
  labels: record(string),
  /** The main process: the image's ENTRYPOINT + CMD (behind the proxy wrapper when there is one). */
  argv: array(string),
  /** `K=V`: the image's environment with the run settings' on top; never a proxy value. */
  env: array(string),
  /** Docker's USER forms (`''` is root). */
  user: string,
  workdir: string,
  hostname: string,
  network: oneOf('host', 'none', 'private'),
  ports: array(string),
  dns: array(string),
  mounts: array(mount),
  /** Names of the named volumes it mounts (the store's doctor and `volume rm` read this). */
  volumes: array(string),
  devices: array(device),
  init: boolean,
  privileged: boolean,
  capabilities: array(string),
  stopSignal: string,
  /** Removed when its main process exits (Docker's `--rm`). */
  autoRemove: boolean,
});

/** `config.json`: what the container is, written once when it is created. */
export type ContainerConfig = Checked<typeof configShape>;

const stateShape = object({
  status: oneOf('created', 'running', 'exited'),
  /** Host pid of the sandbox's PID 1 and its start time (field 22 of /proc/PID/stat). */
  pid: optional(integer),
  pidStart: optional(string),
  /** Host pid of the monitor and its start time. */
  monitorPid: optional(integer),
  monitorStart: optional(string),
  /** The root filesystem's path in the container's mount namespace (what exec enters). */
  rootPath: optional(string),
  /** Whether the container has its own network namespace (exec joins it). */
  ownNetwork: optional(boolean),
  /** Ports published while it runs, `IP:HOST->CONTAINER/proto`. */
  published: optional(array(string)),
  startedAt: optional(string),
  finishedAt: optional(string),
  exitCode: optional(integer),
  /** Why the last start failed, shown by inspect. */
  error: optional(string),
});

/** `state.json`: how the container is, rewritten (atomically) on every start and exit. */
export type ContainerStateFile = Checked<typeof stateShape>;

/** The files of container `id` under `containersDir`. */
export interface ContainerPaths {
  dir: string;
  config: string;
  state: string;
  upper: string;
  work: string;
  run: string;
  socket: string;
  log: string;
  monitorLog: string;
}

export function containerPaths(containersDir: string, id: string): ContainerPaths {
  const dir = path.join(containersDir, id);
  return {
    dir,
    config: path.join(dir, 'config.json'),
    state: path.join(dir, 'state.json'),
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    run: path.join(dir, 'run'),
    socket: path.join(dir, 'attach.sock'),
    log: path.join(dir, 'session.log'),
    monitorLog: path.join(dir, 'monitor.log'),
  };
}

export function newContainerId(): string {
  return crypto().randomBytes(32).toString('hex');
}

function corrupt(file: string, reason: string): DevenvError {
  return new DevenvError('DEVENV_STORE', `${file} is damaged: ${reason}`, {
    hint: 'run `devenv doctor --repair`, or remove the container with `devenv rm -f`',
  });
}

async function readJson<T>(file: string, check: Check<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return parseJsonShape(check, text);
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof ShapeError) throw corrupt(file, error.message);
    throw error;
  }
}

export function readConfig(paths: ContainerPaths): Promise<ContainerConfig | undefined> {
  return readJson(paths.config, configShape);
}

export async function readState(paths: ContainerPaths): Promise<ContainerStateFile> {
  return (await readJson(paths.state, stateShape)) ?? { status: 'created' };
}

export async function writeConfig(paths: ContainerPaths, config: ContainerConfig): Promise<void> {
  await writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

export async function writeState(paths: ContainerPaths, state: ContainerStateFile): Promise<void> {
  await writeFileAtomic(paths.state, `${JSON.stringify(state)}\n`, 0o600);
}

/** Every container's config, skipping folders being created or removed (no config.json yet). */
export async function listConfigs(containersDir: string): Promise<ContainerConfig[]> {
  let entries: string[];
  try {
    entries = await readdir(containersDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const configs = await Promise.all(
    entries
      .filter((entry) => /^[a-f0-9]{64}$/.test(entry))
      .map((entry) => readConfig(containerPaths(containersDir, entry))),
  );
  return configs.filter((config): config is ContainerConfig => config !== undefined);
}

/** The container named `name` (or whose id starts with `name`, 12+ hex characters, as Docker allows). */
export async function findConfig(containersDir: string, name: string): Promise<ContainerConfig | undefined> {
  const all = await listConfigs(containersDir);
  return (
    all.find((config) => config.name === name) ??
    (/^[a-f0-9]{12,64}$/.test(name) ? all.find((config) => config.id.startsWith(name)) : undefined)
  );
}
