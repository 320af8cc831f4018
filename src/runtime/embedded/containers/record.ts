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
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DevenvError } from '../../../errors.js';
import { writeFileAtomic } from '../../../util/atomic.js';

const MountSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bind'), source: z.string(), target: z.string(), readonly: z.boolean() }),
  z.object({ type: z.literal('volume'), name: z.string(), target: z.string(), readonly: z.boolean() }),
]);

/** A mount as the container applies it: a host path, or a named volume of the store. */
export type ContainerMount = z.infer<typeof MountSchema>;

const DeviceSchema = z.object({
  source: z.string(),
  target: z.string(),
  kind: z.enum(['node', 'tree']),
});

export const ContainerConfigSchema = z.object({
  id: z.string().regex(/^[a-f0-9]{64}$/),
  name: z.string(),
  created: z.string(),
  /** The image reference it was created from, as given. */
  image: z.string(),
  /** `sha256:` id of that image: a GC root of the store. */
  imageId: z.string(),
  labels: z.record(z.string(), z.string()),
  /** The main process: the image's ENTRYPOINT + CMD (behind the proxy wrapper when there is one). */
  argv: z.array(z.string()),
  /** `K=V`: the image's environment with the run settings' on top; never a proxy value. */
  env: z.array(z.string()),
  /** Docker's USER forms (`''` is root). */
  user: z.string(),
  workdir: z.string(),
  hostname: z.string(),
  network: z.enum(['host', 'none', 'private']),
  ports: z.array(z.string()),
  dns: z.array(z.string()),
  mounts: z.array(MountSchema),
  /** Names of the named volumes it mounts (the store's doctor and `volume rm` read this). */
  volumes: z.array(z.string()),
  devices: z.array(DeviceSchema),
  init: z.boolean(),
  privileged: z.boolean(),
  capabilities: z.array(z.string()),
  stopSignal: z.string(),
  /** Removed when its main process exits (Docker's `--rm`). */
  autoRemove: z.boolean(),
});

export type ContainerConfig = z.infer<typeof ContainerConfigSchema>;

export const ContainerStateSchema = z.object({
  status: z.enum(['created', 'running', 'exited']),
  /** Host pid of the sandbox's PID 1 and its start time (field 22 of /proc/PID/stat). */
  pid: z.number().int().optional(),
  pidStart: z.string().optional(),
  /** Host pid of the monitor and its start time. */
  monitorPid: z.number().int().optional(),
  monitorStart: z.string().optional(),
  /** The root filesystem's path in the container's mount namespace (what exec enters). */
  rootPath: z.string().optional(),
  /** Whether the container has its own network namespace (exec joins it). */
  ownNetwork: z.boolean().optional(),
  /** Ports published while it runs, `IP:HOST->CONTAINER/proto`. */
  published: z.array(z.string()).optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  /** Why the last start failed, shown by inspect. */
  error: z.string().optional(),
});

export type ContainerStateFile = z.infer<typeof ContainerStateSchema>;

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
  return randomBytes(32).toString('hex');
}

function corrupt(file: string, reason: string): DevenvError {
  return new DevenvError('DEVENV_STORE', `${file} is damaged: ${reason}`, {
    hint: 'run `devenv doctor --repair`, or remove the container with `devenv rm -f`',
  });
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, (error as Error).message);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw corrupt(file, parsed.error.issues[0]?.message ?? 'unexpected content');
  return parsed.data;
}

export function readConfig(paths: ContainerPaths): Promise<ContainerConfig | undefined> {
  return readJson(paths.config, ContainerConfigSchema);
}

export async function readState(paths: ContainerPaths): Promise<ContainerStateFile> {
  return (await readJson(paths.state, ContainerStateSchema)) ?? { status: 'created' };
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
