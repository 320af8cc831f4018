/**
 * The embedded runtime (docs/embedded-runtime.md): images in devenv's own content-addressed store, pulled
 * and pushed with devenv's registry client, unpacked by devenv's layer applier, saved and loaded as
 * `docker save` archives. No daemon: each command opens the store, whose locks and leases make
 * concurrent commands safe. Builds and containers run in devenv's sandbox; a container's monitor
 * is the only process that outlives a command (docs/embedded-runtime.md#containers).
 */
import { existsSync } from 'node:fs';
import path from '../../util/node-path.js';
import type { Readable, Writable } from 'node:stream';
import type { Settings } from '../../config/settings.js';
import { DevenvError } from '../../errors.js';
import { once } from '../../util/once.js';
import type { EventSink } from '../events.js';
import { runJob } from '../events.js';
import type { RunSpec } from '../../plan/types.js';
import type {
  AttachResult,
  BuildRequest,
  CommitOptions,
  ContainerChangeSink,
  ContainerSummary,
  ImageSummary,
  ListImagesOptions,
  RunOptions,
  Runtime,
  RuntimeName,
  Stdio,
  VolumeSummary,
} from '../runtime.js';
import type { EmbeddedContainers } from './containers/containers.js';
import { prepareStoreRoot } from './store/root.js';
import { MOVED_FILE, storePaths } from './store/paths.js';
import type { RegistryClient } from './registry/index.js';
import type { Store } from './store/index.js';

// Everything below the runtime is imported where it is used, not here: exec, status and a no-op up
// read a container's records and enter it, and loading the store, the registry client and the
// builder they never touch would cost more than the work itself.
const lazy = {
  builder: () => import('./builder/index.js'),
  containers: () => import('./containers/containers.js'),
  layerMode: () => import('./layer-mode.js'),
  list: () => import('./containers/list.js'),
  platform: () => import('../../image/oci/platform.js'),
  pull: () => import('./pull-image.js'),
  push: () => import('./push-image.js'),
  registry: () => import('./registry/index.js'),
  removeImage: () => import('./remove-image.js'),
  running: () => import('./containers/running.js'),
  sandbox: () => import('./sandbox/index.js'),
  store: () => import('./store/index.js'),
};

/** Everything the embedded runtime needs, passed in from the command (no ambient globals). */
export interface EmbeddedRuntimeOptions {
  /** Absolute store root, from `resolveStoreRoot`. */
  root: string;
  /** For `~/.docker/config.json` credentials. */
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Registry mirrors, insecure registries and proxy. */
  settings: Pick<Settings, 'registryMirrors' | 'insecureRegistries' | 'proxy'>;
  /** Node's `process.arch`, for picking the image of a multi-platform index. */
  arch: string;
  /** The command run's interrupt: registry requests in flight stop when it fires. */
  signal?: AbortSignal | undefined;
}

/**
 * The Runtime of the embedded store at `options.root`; methods throw DevenvError for what the user
 * can fix, and DEVENV_UNSUPPORTED where this host cannot run the sandbox (doctor says why). Cheap
 * to construct: nothing is opened until a method needs the store.
 */
export class EmbeddedRuntime implements Runtime {
  readonly name: RuntimeName = 'embedded';
  readonly root: string;
  private readonly options: EmbeddedRuntimeOptions;
  private readonly store = once(async () => {
    const [{ openStore }, { layerUnpacker }] = await Promise.all([lazy.store(), lazy.layerMode()]);
    return openStore({ root: this.root, unpack: layerUnpacker(this.root) });
  });

  /**
   * The store opened for reading only: without the recovery pass, which takes the store's lock (a
   * process) to clear what a crashed writer left, and which reads never need (writes publish by
   * rename, so nothing half-written is ever under a name a read follows).
   */
  private readonly readStore = once(async () => {
    // Reads never unpack a layer: neither the layer applier nor the store's check, repair, move and
    // prune (store/index.js) are loaded, only the store itself.
    const { openStore } = await import('./store/store.js');
    return openStore({ root: this.root, recover: false });
  });

  /**
   * The containers folder for reads that need no store (exec, inspect), after the same checks of
   * the root that opening the store makes (its owner and mode: a record others could write would
   * name the process exec enters); undefined when there is no store yet. A moved store goes through
   * the full opening, which says where it went.
   */
  private async containersDir(): Promise<string | undefined> {
    const exists = await prepareStoreRoot(this.root, { create: false }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof DevenvError && error.code === 'DEVENV_NOT_FOUND') return false;
        throw error;
      },
    );
    if (!exists) return undefined;
    const paths = storePaths(this.root);
    if (existsSync(path.join(paths.root, MOVED_FILE))) await this.readStore();
    return paths.containersDir;
  }

  constructor(options: EmbeddedRuntimeOptions) {
    this.options = options;
    this.root = options.root;
  }

  /** The store, opened (and recovered) on first use, so `login` never creates one. */
  private openStore(): Promise<Store> {
    return this.store();
  }

  /** A registry client for one operation; closed by the caller. */
  private async client(): Promise<RegistryClient> {
    const [{ RegistryClient }, { platformFromNode }] = await Promise.all([lazy.registry(), lazy.platform()]);
    const { settings, homeDir, env, arch, signal } = this.options;
    return new RegistryClient({ settings, homeDir, env, platform: platformFromNode(arch), signal });
  }

  private async withClient<T>(action: (client: RegistryClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await action(client);
    } finally {
      await client.close();
    }
  }

  async inspectImage(ref: string): Promise<ImageSummary | undefined> {
    const store = await this.readStore();
    const id = await store.refs.resolve(ref).catch((error: unknown) => {
      if (error instanceof DevenvError && error.code === 'DEVENV_USAGE') return undefined;
      throw error;
    });
    return id === undefined ? undefined : store.summary(id);
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    const store = await this.openStore();
    const ids = await store.images.list();
    const summaries = await Promise.all(ids.map((id) => store.summary(id)));
    if (options.all === true) return summaries;
    // Docker's rule for `docker images` without --all: an untagged image that another image was
    // built on is a step of that build, not an image of its own.
    // The parent is the run config's Image, where Docker's classic builder and devenv's builder put
    // the image a step ran on (read as it is: a config with something else there is not refused).
    const parentOf = async (id: string) => (await store.images.config(id)).config.config?.['Image'];
    const parents = new Set(await Promise.all(ids.map(parentOf)));
    return summaries.filter((image) => image.tags.length > 0 || !parents.has(image.id));
  }

  pullImage(ref: string, onEvent: EventSink): Promise<ImageSummary> {
    return runJob(onEvent, 'pull', ref, async () => {
      const store = await this.openStore();
      const { pullImage } = await lazy.pull();
      const id = await this.withClient((client) => pullImage({ store, client, onEvent }, ref));
      return store.summary(id);
    });
  }

  pushImage(ref: string, onEvent: EventSink): Promise<void> {
    return runJob(onEvent, 'push', ref, async () => {
      const store = await this.openStore();
      const { pushImage } = await lazy.push();
      await this.withClient((client) => pushImage({ store, client, onEvent }, ref));
    });
  }

  async tagImage(source: string, target: string): Promise<void> {
    const store = await this.openStore();
    const id = await store.refs.resolve(source);
    if (id === undefined) throw new DevenvError('DEVENV_NOT_FOUND', `no such image: ${source}`);
    await store.refs.set([{ name: target, id }]);
  }

  async removeImage(ref: string, options: { force: boolean }): Promise<string[]> {
    const { removeImage } = await lazy.removeImage();
    return removeImage(await this.openStore(), ref, options.force);
  }

  async pruneImages(): Promise<{ removed: string[]; reclaimedBytes: number }> {
    const { pruneStore } = await lazy.store();
    const result = await pruneStore(await this.openStore());
    return { removed: result.images, reclaimedBytes: result.reclaimedBytes };
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    await this.withClient((client) => client.login(registry, username, password));
  }

  saveImages(refs: readonly string[], output: Writable, onEvent: EventSink): Promise<void> {
    return runJob(onEvent, 'save', refs.join(' '), async () => {
      // The exporter alone: the importer (and the OCI layout reader's schemas) stay unloaded.
      const { exportImages } = await import('./archive/export.js');
      await exportImages(await this.openStore(), refs, output, { onEvent });
    });
  }

  /** Stored blobs are copied into the file through one buffer (see writeExportFile). */
  saveImagesToFile(refs: readonly string[], file: string, onEvent: EventSink): Promise<void> {
    return runJob(onEvent, 'save', refs.join(' '), async () => {
      const { exportImagesInto } = await import('./archive/export.js');
      await exportImagesInto(await this.openStore(), refs, file, { onEvent });
    });
  }

  loadImages(input: Readable, onEvent: EventSink): Promise<string[]> {
    return this.load(input, onEvent);
  }

  /** The archive is read in place (indexTarFile): no stream buffers, its bytes copied once. */
  loadImagesFromFile(file: string, onEvent: EventSink): Promise<string[]> {
    return this.load({ file }, onEvent);
  }

  private load(input: Readable | { file: string }, onEvent: EventSink): Promise<string[]> {
    // The importer announces each image as `docker load` prints it; callers report the result
    // themselves (as with Docker, whose output they parse), so those lines would come out twice.
    const quiet: EventSink = (event) => {
      if (event.type !== 'info' || !event.message.startsWith('Loaded image')) onEvent(event);
    };
    return runJob(onEvent, 'load', 'image archive', async () => {
      const { importArchive } = await import('./archive/import.js');
      return (await importArchive(await this.openStore(), input, { onEvent: quiet })).loaded;
    });
  }

  buildImage(request: BuildRequest, onEvent: EventSink): Promise<ImageSummary> {
    return runJob(onEvent, 'build', request.image.tag, () => this.build(request, onEvent));
  }

  private async build(request: BuildRequest, onEvent: EventSink): Promise<ImageSummary> {
    const [{ sandboxSupport }, { buildWithEmbedded }, { pullImage }] = await Promise.all([
      lazy.sandbox(),
      lazy.builder(),
      lazy.pull(),
    ]);
    const support = await sandboxSupport();
    if (!support.ok)
      throw new DevenvError('DEVENV_UNSUPPORTED', `the embedded builder cannot run here: ${support.reason}`, {
        hint: support.hint,
      });
    const store = await this.openStore();
    const id = await buildWithEmbedded(
      {
        store,
        pull: (ref) => this.withClient((client) => pullImage({ store, client, onEvent }, ref)),
        arch: this.options.arch,
        onEvent,
        signal: this.options.signal,
      },
      request,
    );
    return store.summary(id);
  }

  /** The embedded runtime always runs on this machine. */
  seesHostFiles(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** The container half, on the opened store. */
  private readonly containerStore = once(async () => {
    const { EmbeddedContainers } = await lazy.containers();
    return new EmbeddedContainers(await this.openStore(), this.options.env);
  });

  /** The container half for an operation that runs something: DEVENV_UNSUPPORTED where it cannot. */
  private async runner(): Promise<EmbeddedContainers> {
    const { sandboxSupport } = await lazy.sandbox();
    const support = await sandboxSupport();
    if (!support.ok)
      throw new DevenvError(
        'DEVENV_UNSUPPORTED',
        `the embedded runtime cannot run containers here: ${support.reason}`,
        { hint: support.hint },
      );
    return this.containerStore();
  }

  async findProgram(image: string, program: string): Promise<string | undefined> {
    return (await this.runner()).findProgram(image, program);
  }
  async createContainer(spec: RunSpec, secretEnvFile: string | undefined): Promise<ContainerSummary> {
    return (await this.runner()).create(spec, secretEnvFile);
  }
  async recreateKeepingFiles(
    name: string,
    spec: RunSpec,
    secretEnvFile: string | undefined,
  ): Promise<ContainerSummary> {
    return (await this.runner()).recreateKeepingFiles(name, spec, secretEnvFile);
  }
  async startContainer(name: string): Promise<void> {
    await (await this.runner()).start(name);
  }
  async stopContainer(name: string, timeoutSeconds?: number): Promise<void> {
    await (await this.containerStore()).stop(name, timeoutSeconds);
  }
  async removeContainer(name: string, options: { force: boolean }): Promise<void> {
    await (await this.containerStore()).remove(name, options);
  }
  async inspectContainer(name: string): Promise<ContainerSummary | undefined> {
    const [dir, { inspectContainer }] = await Promise.all([this.containersDir(), lazy.running()]);
    return dir === undefined ? undefined : inspectContainer(dir, name);
  }
  async listContainers(): Promise<ContainerSummary[]> {
    // The records, as inspect reads them: no store is created or recovered to list what is in one.
    const [dir, { listContainers }] = await Promise.all([this.containersDir(), lazy.list()]);
    return dir === undefined ? [] : listContainers(dir);
  }
  async watchChanges(signal: AbortSignal, onChange: ContainerChangeSink): Promise<void> {
    // The store's files, not the store: watching never creates or recovers one.
    const { watchContainers } = await import('./containers/watch-containers.js');
    await watchContainers(storePaths(this.root).containersDir, signal, onChange);
  }
  async attach(name: string, stdio: Stdio): Promise<AttachResult> {
    return (await this.containerStore()).attach(name, stdio);
  }
  async exec(name: string, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number> {
    // A running container proves the host can run one; only the caller's own rights are left to check
    // (the full probe costs a process on the hot path).
    if (process.getuid?.() !== 0) await this.runner();
    const [dir, { execInContainer, notFound }] = await Promise.all([this.containersDir(), lazy.running()]);
    if (dir === undefined) throw notFound(name);
    return execInContainer(dir, name, command, options, stdio);
  }
  async runOnce(
    spec: RunSpec,
    command: readonly string[],
    options: RunOptions,
    stdio: Stdio,
  ): Promise<number> {
    return (await this.runner()).runOnce(spec, command, options, stdio);
  }
  async logs(
    name: string,
    options: { follow: boolean; tail?: number | undefined },
    output: Writable,
  ): Promise<void> {
    await (await this.containerStore()).logs(name, options, output);
  }
  async commit(name: string, options: CommitOptions): Promise<ImageSummary> {
    return (await this.containerStore()).commit(name, options);
  }
  async listVolumes(): Promise<VolumeSummary[]> {
    return (await this.containerStore()).listVolumes();
  }
  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await (await this.containerStore()).createVolume(name, labels);
  }
  async removeVolume(name: string): Promise<void> {
    await (await this.containerStore()).removeVolume(name);
  }
  async exportVolume(name: string, output: Writable): Promise<void> {
    await (await this.containerStore()).exportVolume(name, output);
  }
  async importVolume(name: string, input: Readable): Promise<void> {
    await (await this.containerStore()).importVolume(name, input);
  }
}
