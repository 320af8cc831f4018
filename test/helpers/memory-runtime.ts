/**
 * An in-memory Runtime for unit tests of the engine. It keeps images, containers and volumes the way
 * Docker does where the engine depends on it: a second container of one name is refused, a running
 * container is removed only with force, an image in use or with children is not deleted, a
 * container's labels include its image's, a commit keeps the container's files and config, and a
 * container made without `persist` goes when it stops. Every call is recorded, so a test can say
 * what the engine did not do (no removeContainer after a refusal) as well as what it did.
 */
import type { Readable, Writable } from 'node:stream';
import { DevenvError } from '../../src/errors.js';
import type { RunSpec } from '../../src/plan/types.js';
import type { EventSink } from '../../src/runtime/events.js';
import { ImageNotFoundError } from '../../src/runtime/image-not-found.js';
import type {
  AttachResult,
  BuildRequest,
  CommitOptions,
  ContainerSummary,
  ImageSummary,
  RunOptions,
  Runtime,
  RuntimeName,
  VolumeSummary,
} from '../../src/runtime/runtime.js';
import { ImageStore, normalizeRef, readDockerfile } from './memory-images.js';
import { readArchive, writeArchive } from './memory-archive.js';
import { envMap, failed, markExited, markRunning, newContainer } from './memory-containers.js';
import type { MemoryContainer } from './memory-containers.js';

/** One call the runtime received: the method and its arguments (streams left out). */
export interface RuntimeCall {
  method: keyof Runtime;
  args: unknown[];
}

/** A volume and the files in it. */
interface MemoryVolume {
  summary: VolumeSummary;
  files: Map<string, string>;
}

/** How a test steers what processes do: exec statuses, attach endings, a build that waits. */
export interface MemoryBehaviour {
  /** Status of `exec` (and of the hooks the engine runs through it); 0 unless given. */
  exec?: (name: string, command: readonly string[], options: RunOptions) => number;
  /** How an attach ends; the main process exits with status 0 unless given. */
  attach?: (name: string) => AttachResult;
  /** Awaited at the start of every build, so a test can hold one in flight. */
  beforeBuild?: (request: BuildRequest) => Promise<void>;
}

let serial = 0;

export class MemoryRuntime implements Runtime {
  readonly name: RuntimeName;
  readonly calls: RuntimeCall[] = [];
  readonly store = new ImageStore();
  readonly containers = new Map<string, MemoryContainer>();
  readonly volumes = new Map<string, MemoryVolume>();
  /** Images a pull can fetch, by reference (the registry). */
  readonly registry = new Map<string, ImageSummary & { files?: Map<string, string> }>();
  readonly credentials = new Map<string, { username: string; password: string }>();
  behaviour: MemoryBehaviour;
  private readonly local: boolean;

  /** Set when the runtime was made with `keepsFiles`: a recreate moves the writable layer across. */
  readonly recreateKeepingFiles?: Runtime['recreateKeepingFiles'];

  constructor(
    options: { name?: RuntimeName; behaviour?: MemoryBehaviour; local?: boolean; keepsFiles?: boolean } = {},
  ) {
    this.name = options.name ?? 'docker';
    this.behaviour = options.behaviour ?? {};
    this.local = options.local ?? true;
    if (options.keepsFiles === true)
      this.recreateKeepingFiles = async (name, spec, secretEnvFile) => {
        this.record('recreateKeepingFiles', name, spec, secretEnvFile);
        const old = this.container(name, 'recreate');
        this.containers.delete(name);
        const created = await this.createContainer(spec, secretEnvFile);
        const next = this.container(spec.name, 'recreate');
        for (const [file, text] of old.layer) next.layer.set(file, text);
        return created;
      };
  }

  private record(method: keyof Runtime, ...args: unknown[]): void {
    this.calls.push({ method, args: structuredClone(args) });
  }

  /** Runs a method's body as an engine call would: its result or its error arrives asynchronously. */
  private answer<T>(body: () => T): Promise<T> {
    return Promise.resolve().then(body);
  }

  /** The names of the methods called, in order (`inspectContainer`, `createContainer`, …). */
  methods(): (keyof Runtime)[] {
    return this.calls.map((c) => c.method);
  }

  /** Puts an image in the store (as `docker import` would) and tags it `ref`; returns its id. */
  addImage(
    ref: string,
    config: Partial<Pick<ImageSummary, 'labels' | 'env' | 'cmd' | 'entrypoint'>> = {},
    files: Record<string, string> = {},
  ): string {
    const id = this.store.add({
      parent: undefined,
      labels: config.labels ?? {},
      env: config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      entrypoint: config.entrypoint ?? null,
      cmd: config.cmd ?? ['/bin/sh'],
      files: new Map(Object.entries(files)),
      nonce: ref,
    });
    this.store.tag(ref, id);
    return id;
  }

  /** Writes a file in a container's writable layer, as a process in it would. */
  writeFile(name: string, file: string, text: string): void {
    this.container(name, 'exec').layer.set(file, text);
  }

  /** Reads a file as a process in the container sees it: its layer over its image. */
  readFile(name: string, file: string): string | undefined {
    const c = this.container(name, 'exec');
    return c.layer.get(file) ?? this.store.get(c.summary.imageId)?.files.get(file);
  }

  private container(name: string, command: string): MemoryContainer {
    const found =
      this.containers.get(name) ?? [...this.containers.values()].find((c) => c.summary.id.startsWith(name));
    if (found === undefined) throw failed(command, `Error response from daemon: No such container: ${name}`);
    return found;
  }

  private usersOf(imageId: string): string[] {
    return [...this.containers.values()]
      .filter((c) => c.summary.imageId === imageId)
      .map((c) => c.summary.name);
  }

  private image(ref: string, command: string): ImageSummary {
    const id = this.store.resolve(ref);
    if (id === undefined) throw failed(command, `Error response from daemon: No such image: ${ref}`);
    return this.store.summaryOf(id);
  }

  async buildImage(request: BuildRequest, onEvent: EventSink): Promise<ImageSummary> {
    this.record('buildImage', { ...request, env: {} });
    await this.behaviour.beforeBuild?.(request);
    for (const prerequisite of request.image.prerequisites)
      if (this.store.resolve(prerequisite.tag) === undefined)
        this.addImage(prerequisite.tag, { labels: request.image.labels });
    const file = readDockerfile(request.image.dockerfile);
    let base: ImageSummary | undefined;
    if (file.base !== 'scratch') {
      const id = this.store.resolve(file.base);
      base =
        id !== undefined && !request.pull
          ? this.store.summaryOf(id)
          : await this.pullImage(file.base, onEvent);
    }
    const parent = base === undefined ? undefined : this.store.get(base.id);
    const env = envMap([...(base?.env ?? []), ...file.env]);
    onEvent({ type: 'build:step', step: 1, total: 1, instruction: `FROM ${file.base}` });
    const id = this.store.add({
      parent: base?.id,
      labels: { ...base?.labels, ...file.labels, ...request.image.labels, ...request.labels },
      env: [...env].map(([k, v]) => `${k}=${v}`),
      entrypoint: file.entrypoint === undefined ? (base?.entrypoint ?? null) : file.entrypoint,
      cmd: file.cmd === undefined ? (base?.cmd ?? null) : file.cmd,
      files: new Map(parent?.files ?? []),
      // The same inputs build the same image from the layer cache; --no-cache makes a new one.
      nonce: JSON.stringify([request.image.dockerfile, request.image.buildArgs, request.noCache && ++serial]),
    });
    this.store.tag(request.image.tag, id);
    return this.store.summaryOf(id);
  }

  inspectImage(ref: string): Promise<ImageSummary | undefined> {
    this.record('inspectImage', ref);
    const id = this.store.resolve(ref);
    return Promise.resolve(id === undefined ? undefined : this.store.summaryOf(id));
  }

  listImages(): Promise<ImageSummary[]> {
    this.record('listImages');
    return Promise.resolve([...this.store.images.keys()].map((id) => this.store.summaryOf(id)));
  }

  pullImage(ref: string, onEvent: EventSink): Promise<ImageSummary> {
    this.record('pullImage', ref);
    const remote = this.registry.get(normalizeRef(ref));
    if (remote === undefined) return Promise.reject(new ImageNotFoundError(ref));
    onEvent({ type: 'transfer:done', id: remote.id.slice(7, 19), phase: 'download' });
    const id = this.store.add({
      parent: undefined,
      ...remote,
      files: remote.files ?? new Map(),
      nonce: remote.id,
    });
    this.store.tag(ref, id);
    return Promise.resolve(this.store.summaryOf(id));
  }

  pushImage(ref: string): Promise<void> {
    this.record('pushImage', ref);
    const image = this.store.get(ref);
    if (image === undefined)
      return Promise.reject(failed('push', `An image does not exist locally with the tag: ${ref}`));
    this.registry.set(normalizeRef(ref), { ...structuredClone(image.summary), files: new Map(image.files) });
    return Promise.resolve();
  }

  tagImage(source: string, target: string): Promise<void> {
    this.record('tagImage', source, target);
    return this.answer(() => {
      this.store.tag(target, this.image(source, 'tag').id);
      return;
    });
  }

  removeImage(ref: string, options: { force: boolean }): Promise<string[]> {
    this.record('removeImage', ref, options);
    return this.answer(() => {
      return this.store.remove(ref, options.force, (id) => this.usersOf(id));
    });
  }

  pruneImages(): Promise<{ removed: string[]; reclaimedBytes: number }> {
    this.record('pruneImages');
    const removed: string[] = [];
    let reclaimedBytes = 0;
    for (const id of [...this.store.images.keys()]) {
      const image = this.store.summaryOf(id);
      if (image.tags.length > 0 || image.labels['dev.devenv.name'] === undefined) continue;
      if (this.usersOf(id).length > 0 || [...this.store.images.values()].some((i) => i.parent === id))
        continue;
      this.store.images.delete(id);
      removed.push(id);
      reclaimedBytes += image.size ?? 0;
    }
    return Promise.resolve({ removed, reclaimedBytes });
  }

  findProgram(image: string, program: string): Promise<string | undefined> {
    this.record('findProgram', image, program);
    const found = this.store.get(image);
    if (found === undefined) return Promise.reject(failed('run', `Unable to find image '${image}' locally`));
    const dirs = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
    return Promise.resolve(dirs.map((d) => `${d}/${program}`).find((p) => found.files.has(p)));
  }

  login(registry: string, username: string, password: string): Promise<void> {
    this.record('login', registry, username);
    this.credentials.set(registry, { username, password });
    return Promise.resolve();
  }

  async saveImages(refs: readonly string[], output: Writable): Promise<void> {
    this.record('saveImages', refs);
    const images = refs.map((ref) => ({ ref, image: this.store.get(ref) }));
    const missing = images.find((i) => i.image === undefined);
    if (missing !== undefined)
      throw failed('save', `Error response from daemon: reference does not exist: ${missing.ref}`);
    await writeArchive(
      images.map(({ ref, image }) => ({ ref, summary: image!.summary, files: image!.files })),
      output,
    );
  }

  async loadImages(input: Readable): Promise<string[]> {
    this.record('loadImages');
    const loaded: string[] = [];
    for (const { summary, files } of await readArchive(input)) {
      if (summary === undefined) continue;
      const id = this.store.add({
        parent: undefined,
        labels: summary.labels,
        env: summary.env,
        entrypoint: summary.entrypoint,
        cmd: summary.cmd,
        files: new Map(files),
        nonce: summary.id,
      });
      for (const tag of summary.tags) this.store.tag(tag, id);
      loaded.push(...(summary.tags.length > 0 ? summary.tags : [id]));
    }
    return loaded;
  }

  seesHostFiles(): Promise<boolean> {
    this.record('seesHostFiles');
    return Promise.resolve(this.local);
  }

  createContainer(spec: RunSpec, secretEnvFile: string | undefined): Promise<ContainerSummary> {
    this.record('createContainer', spec, secretEnvFile);
    const imageId = this.store.resolve(spec.image);
    if (imageId === undefined)
      return Promise.reject(
        new DevenvError('DEVENV_NOT_FOUND', `image ${spec.image} does not exist`, {
          hint: 'run devenv build',
        }),
      );
    if (this.containers.has(spec.name))
      return Promise.reject(
        failed(
          'create',
          `Error response from daemon: Conflict. The container name "/${spec.name}" is already in use by container "${this.containers.get(spec.name)?.summary.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`,
        ),
      );
    for (const m of spec.mounts)
      if (m.type === 'volume' && !this.volumes.has(m.name)) {
        const owner = spec.labels['dev.devenv.name'] ?? spec.labels['dev.devenv.run-of'];
        const labels: Record<string, string> = owner === undefined ? {} : { 'dev.devenv.name': owner };
        this.volumes.set(m.name, { summary: { name: m.name, labels }, files: new Map() });
      }
    const id = `${(++serial).toString(16).padStart(8, '0')}${'c'.repeat(56)}`;
    this.containers.set(spec.name, newContainer(id, spec, this.store.summaryOf(imageId), secretEnvFile));
    return Promise.resolve(structuredClone(this.containers.get(spec.name)!.summary));
  }

  startContainer(name: string): Promise<void> {
    this.record('startContainer', name);
    return this.answer(() => {
      markRunning(this.container(name, 'start'));
      return;
    });
  }

  /** The main process has ended: the container stops, and one made without `persist` goes. */
  private exited(c: MemoryContainer, status: number): void {
    markExited(c, status);
    if (!c.spec.persist) this.containers.delete(c.summary.name);
  }

  stopContainer(name: string, timeoutSeconds?: number): Promise<void> {
    this.record('stopContainer', name, timeoutSeconds);
    return this.answer(() => {
      const c = this.container(name, 'stop');
      if (c.summary.state === 'running') this.exited(c, 0);
      return;
    });
  }

  removeContainer(name: string, options: { force: boolean }): Promise<void> {
    this.record('removeContainer', name, options);
    return this.answer(() => {
      const c = this.container(name, 'rm');
      if (c.summary.state === 'running' && !options.force)
        throw failed(
          'rm',
          `Error response from daemon: You cannot remove a running container ${c.summary.id}. Stop the container before attempting removal or force remove`,
        );
      this.containers.delete(c.summary.name);
      return;
    });
  }

  inspectContainer(name: string): Promise<ContainerSummary | undefined> {
    this.record('inspectContainer', name);
    const c = this.containers.get(name);
    return Promise.resolve(c === undefined ? undefined : structuredClone(c.summary));
  }

  listContainers(): Promise<ContainerSummary[]> {
    this.record('listContainers');
    return Promise.resolve(
      [...this.containers.values()]
        .filter((c) => c.summary.labels['dev.devenv.name'] !== undefined)
        .map((c) => structuredClone(c.summary)),
    );
  }

  attach(name: string): Promise<AttachResult> {
    this.record('attach', name);
    return this.answer(() => {
      const c = this.container(name, 'attach');
      if (c.summary.state !== 'running')
        throw failed('attach', 'You cannot attach to a stopped container, start it first');
      const result = this.behaviour.attach?.(name) ?? { kind: 'exited', status: 0 };
      if (result.kind === 'exited') this.exited(c, result.status);
      return result;
    });
  }

  exec(name: string, command: readonly string[], options: RunOptions): Promise<number> {
    this.record('exec', name, command, options);
    return this.answer(() => {
      const c = this.container(name, 'exec');
      if (c.summary.state !== 'running')
        throw failed('exec', `Error response from daemon: Container ${c.summary.id} is not running`);
      return this.behaviour.exec?.(name, command, options) ?? 0;
    });
  }

  async runOnce(spec: RunSpec, command: readonly string[], options: RunOptions): Promise<number> {
    const created = await this.createContainer({ ...spec, persist: false }, undefined);
    this.calls.pop();
    this.record('runOnce', spec, command, options);
    await this.startContainer(created.name);
    this.calls.pop();
    const status = this.behaviour.exec?.(spec.name, command, options) ?? 0;
    this.exited(this.container(created.name, 'run'), status);
    return status;
  }

  logs(
    name: string,
    options: { follow: boolean; tail?: number | undefined },
    output: Writable,
  ): Promise<void> {
    this.record('logs', name, options);
    return this.answer(() => {
      const lines = this.container(name, 'logs').log.split('\n').filter(Boolean);
      const shown = options.tail === undefined ? lines : lines.slice(-options.tail);
      output.write(shown.map((l) => `${l}\n`).join(''));
      return;
    });
  }

  commit(name: string, options: CommitOptions): Promise<ImageSummary> {
    this.record('commit', name, options);
    return this.answer(() => {
      const c = this.container(name, 'commit');
      const image = this.store.get(c.summary.imageId);
      const id = this.store.add({
        parent: c.summary.imageId,
        labels: { ...c.summary.labels },
        env: c.env.filter((line) => !options.dropEnv.includes(line.slice(0, line.indexOf('=')))),
        entrypoint: options.entrypoint,
        cmd: options.cmd,
        files: new Map([...(image?.files ?? []), ...c.layer]),
        nonce: String(++serial),
      });
      if (options.tag !== undefined) this.store.tag(options.tag, id);
      return this.store.summaryOf(id);
    });
  }

  listVolumes(): Promise<VolumeSummary[]> {
    this.record('listVolumes');
    return Promise.resolve([...this.volumes.values()].map((v) => structuredClone(v.summary)));
  }

  createVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.record('createVolume', name, labels);
    // Docker answers an existing name with success and leaves that volume as it was.
    if (!this.volumes.has(name))
      this.volumes.set(name, { summary: { name, labels: { ...labels } }, files: new Map() });
    return Promise.resolve();
  }

  removeVolume(name: string): Promise<void> {
    this.record('removeVolume', name);
    if (!this.volumes.has(name))
      return Promise.reject(failed('volume rm', `Error response from daemon: get ${name}: no such volume`));
    const user = [...this.containers.values()].find((c) => c.summary.mounts.some((m) => m.name === name));
    if (user !== undefined)
      return Promise.reject(
        failed(
          'volume rm',
          `Error response from daemon: remove ${name}: volume is in use - [${user.summary.id}]`,
        ),
      );
    this.volumes.delete(name);
    return Promise.resolve();
  }

  async exportVolume(name: string, output: Writable): Promise<void> {
    this.record('exportVolume', name);
    const volume = this.volumes.get(name);
    if (volume === undefined) throw failed('run', `Error response from daemon: get ${name}: no such volume`);
    await writeArchive([{ ref: name, summary: undefined, files: volume.files }], output);
  }

  async importVolume(name: string, input: Readable): Promise<void> {
    this.record('importVolume', name);
    const volume = this.volumes.get(name);
    if (volume === undefined) throw failed('run', `Error response from daemon: get ${name}: no such volume`);
    for (const entry of await readArchive(input)) for (const [k, v] of entry.files) volume.files.set(k, v);
  }
}
