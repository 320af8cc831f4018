/**
 * The Docker runtime: every Runtime method through the docker CLI (so also Podman's docker-compatible
 * CLI and remote engines reached through DOCKER_HOST or a context), except the calls on every
 * command's path (inspect, start, exec, events), which go straight to the Engine API when the engine
 * is the local one on a unix socket (engine-api/endpoint.ts says when; docs/docker-engine-api.md).
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DevenvError } from '../../errors.js';
import type { RunSpec } from '../../plan/types.js';
import { once } from '../../util/once.js';
import type { EventSink } from '../events.js';
import { runJob } from '../events.js';
import { countBytes } from '../byte-events.js';
import type {
  AttachResult,
  BuildRequest,
  ContainerChangeSink,
  CommitOptions,
  ContainerSummary,
  ImageSummary,
  ListImagesOptions,
  RunOptions,
  Runtime,
  RuntimeName,
  Stdio,
  VolumeSummary,
} from '../runtime.js';
import { docker, DockerCommandError, dockerMaybe } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';
import { attach, exec, runOnce } from './docker-session.js';
import { EngineApi, segment } from './engine-api/client.js';
import { engineSocket } from './engine-api/endpoint.js';
import { containerSummary, imageSummary, parseContainers, parseImages, parseVolumes } from './inspect.js';
import { restoreCommandChanges, toCreateArgs } from './run-args.js';

const LIST_LABEL = 'dev.devenv.name';

/**
 * Parses `docker pull`/`push` status lines (`abc123: Download complete`) into transfer events. Without
 * a terminal the CLI prints no byte counts, only each layer's changes of state, so a layer reports
 * that it started and when each phase is done.
 */
export function transferEvents(line: string, kind: 'pull' | 'push', onEvent: EventSink): void {
  const match = /^([0-9a-f]{12}): (.*)$/.exec(line.trim());
  if (match === null) return;
  const [, id = '', status = ''] = match;
  const moved = kind === 'pull' ? 'download' : 'upload';
  if (/^(Already exists|Layer already exists|Mounted from)/.test(status)) {
    onEvent({ type: 'transfer:done', id, phase: moved, skipped: true });
  } else if (/^(Download complete|Pushed)/.test(status)) {
    onEvent({ type: 'transfer:done', id, phase: moved });
  } else if (/^Pull complete/.test(status)) {
    onEvent({ type: 'transfer:done', id, phase: 'extract' });
  } else if (/^Verifying/.test(status)) {
    onEvent({ type: 'transfer:progress', id, phase: 'verify', current: 0 });
  } else if (/^Extracting/.test(status)) {
    onEvent({ type: 'transfer:progress', id, phase: 'extract', current: 0 });
  } else if (/^(Downloading|Pushing|Waiting|Pulling fs layer|Preparing)/.test(status)) {
    onEvent({ type: 'transfer:progress', id, phase: moved, current: 0 });
  }
}

export class DockerRuntime implements Runtime {
  readonly name: RuntimeName;
  private readonly target: DockerTarget;

  /** The Engine API on the local socket, or undefined when every call goes through the CLI. */
  private readonly api: EngineApi | undefined;

  constructor(target: DockerTarget) {
    this.target = target;
    this.name = target.binary === 'podman' ? 'podman' : 'docker';
    const socket = engineSocket(target);
    this.api = socket === undefined ? undefined : new EngineApi(target, socket);
  }

  /** Whether calls on the hot path go to the Engine API (true) or the docker CLI. */
  get usesEngineApi(): boolean {
    return this.api !== undefined;
  }

  /** Fails with the clear missing / down / permission message when the engine cannot be reached. */
  async ping(): Promise<string> {
    return docker(this.target, ['version', '--format', '{{.Server.Version}}']);
  }

  buildImage(request: BuildRequest, onEvent: EventSink): Promise<ImageSummary> {
    return runJob(onEvent, 'build', request.image.tag, async () => {
      // Loaded on demand: building pulls in the tar code, which exec and attach never need.
      const { buildImage } = await import('./docker-build.js');
      const id = await buildImage(this.target, request, onEvent);
      const image = await this.inspectImage(id);
      if (image === undefined)
        throw new DevenvError('DEVENV_RUNTIME_FAILED', `docker reported image ${id} but it does not exist`);
      return image;
    });
  }

  async inspectImage(ref: string): Promise<ImageSummary | undefined> {
    if (this.api !== undefined) {
      const answer = await this.api.call(
        { method: 'GET', path: `/images/${segment(ref)}/json`, as: ['image', 'inspect', ref] },
        [404],
      );
      return answer.status === 404 ? undefined : imageSummary(answer.body);
    }
    const text = await dockerMaybe(this.target, ['image', 'inspect', ref]);
    return text === undefined ? undefined : parseImages(text)[0];
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    const all = options.all === true ? ['--all'] : [];
    const ids = [
      ...new Set(
        (await docker(this.target, ['image', 'ls', '--quiet', '--no-trunc', ...all]))
          .split('\n')
          .filter(Boolean),
      ),
    ];
    return ids.length === 0 ? [] : parseImages(await docker(this.target, ['image', 'inspect', ...ids]));
  }

  private async streamed(args: string[], kind: 'pull' | 'push', onEvent: EventSink): Promise<void> {
    const { checkResult, spawnDocker } = await import('./docker-spawn.js');
    const child = spawnDocker(this.target, args, {
      all: true,
      buffer: { all: false, stdout: false, stderr: true },
    });
    for await (const line of child.iterable({ from: 'all' })) transferEvents(String(line), kind, onEvent);
    checkResult(this.target, args, await child);
  }

  pullImage(ref: string, onEvent: EventSink): Promise<ImageSummary> {
    return runJob(onEvent, 'pull', ref, async () => {
      await this.streamed(['pull', ref], 'pull', onEvent);
      const image = await this.inspectImage(ref);
      if (image === undefined)
        throw new DevenvError('DEVENV_RUNTIME_FAILED', `pulled ${ref} but docker cannot find it`);
      return image;
    });
  }

  pushImage(ref: string, onEvent: EventSink): Promise<void> {
    return runJob(onEvent, 'push', ref, () => this.streamed(['push', ref], 'push', onEvent));
  }

  async findProgram(image: string, program: string): Promise<string | undefined> {
    const args = ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', image];
    try {
      const out = await docker(this.target, [...args, '-c', 'command -v "$1"', 'sh', program], {
        timeoutMs: 120_000,
      });
      const found = out.trim();
      return found.startsWith('/') ? found : undefined;
    } catch (error) {
      // 1: no such program; 126 and 127: the image has no /bin/sh to ask with.
      if (error instanceof DockerCommandError && [1, 126, 127].includes(error.exitStatus ?? -1))
        return undefined;
      throw error;
    }
  }

  async tagImage(source: string, target: string): Promise<void> {
    await docker(this.target, ['tag', source, target]);
  }

  async removeImage(ref: string, options: { force: boolean }): Promise<string[]> {
    const out = await docker(this.target, ['image', 'rm', ...(options.force ? ['--force'] : []), ref]);
    return out.split('\n').filter(Boolean);
  }

  async pruneImages(): Promise<{ removed: string[]; reclaimedBytes: number }> {
    const { pruneDevenvImages } = await import('./docker-prune.js');
    return pruneDevenvImages(this.target);
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    await docker(this.target, ['login', '--username', username, '--password-stdin', registry], {
      input: password,
    });
  }

  /** `docker save` gives no sizes up front: the bytes written are counted as they pass. */
  saveImages(refs: readonly string[], output: Writable, onEvent: EventSink): Promise<void> {
    return runJob(onEvent, 'save', refs.join(' '), async () => {
      const { checkResult, spawnDocker } = await import('./docker-spawn.js');
      const args = ['save', ...refs];
      const child = spawnDocker(this.target, args, {
        stdout: 'pipe',
        buffer: { stdout: false, stderr: true },
      });
      if (child.stdout !== null)
        await pipeline(child.stdout, countBytes('archive', 'write', onEvent), output);
      checkResult(this.target, args, await child);
    });
  }

  loadImages(input: Readable, onEvent: EventSink): Promise<string[]> {
    return runJob(onEvent, 'load', 'image archive', async () => {
      const { checkResult, spawnDocker } = await import('./docker-spawn.js');
      const child = spawnDocker(this.target, ['load'], { stdin: 'pipe' });
      // The caller counts what it feeds: it knows the size of the file, docker does not.
      if (child.stdin !== null) await pipeline(input, child.stdin);
      const result = await child;
      checkResult(this.target, ['load'], result);
      return String(result.stdout)
        .split('\n')
        .map((l) => /^Loaded image(?: ID)?: (\S+)/.exec(l)?.[1])
        .filter((v): v is string => v !== undefined);
    });
  }

  async createContainer(spec: RunSpec, secretEnvFile: string | undefined): Promise<ContainerSummary> {
    const image = await this.inspectImage(spec.image);
    if (image === undefined)
      throw new DevenvError('DEVENV_NOT_FOUND', `image ${spec.image} does not exist`, {
        hint: 'run devenv build',
      });
    const secrets =
      secretEnvFile === undefined
        ? ({ mode: 'passthrough' } as const)
        : ({ mode: 'file', hostFile: secretEnvFile } as const);
    // Passthrough names the variables in argv; the docker CLI takes their values from its environment.
    await docker(this.target, toCreateArgs(spec, secrets, image), {
      env: secrets.mode === 'passthrough' ? spec.secretEnv : {},
    });
    const created = await this.inspectContainer(spec.name);
    if (created === undefined)
      throw new DevenvError('DEVENV_RUNTIME_FAILED', `docker created ${spec.name} but cannot find it`);
    return created;
  }

  private readonly local = once(async () => {
    const host =
      this.target.context === undefined
        ? this.target.env['DOCKER_HOST']
        : await docker(this.target, [
            'context',
            'inspect',
            '--format',
            '{{.Endpoints.docker.Host}}',
            this.target.context,
          ]);
    return host === undefined || host === '' || host.startsWith('unix://') || host.startsWith('npipe://');
  });

  seesHostFiles(): Promise<boolean> {
    return this.local();
  }

  async startContainer(name: string): Promise<void> {
    if (this.api !== undefined) {
      // 304: it was running already, which `docker start` does not mind either.
      await this.api.call(
        { method: 'POST', path: `/containers/${segment(name)}/start`, as: ['start', name] },
        [304],
      );
      return;
    }
    await docker(this.target, ['start', name]);
  }

  async stopContainer(name: string, timeoutSeconds?: number): Promise<void> {
    await docker(this.target, [
      'stop',
      ...(timeoutSeconds === undefined ? [] : ['--time', String(timeoutSeconds)]),
      name,
    ]);
  }

  async removeContainer(name: string, options: { force: boolean }): Promise<void> {
    await docker(this.target, ['rm', ...(options.force ? ['--force'] : []), name]);
  }

  async inspectContainer(name: string): Promise<ContainerSummary | undefined> {
    if (this.api !== undefined) {
      const answer = await this.api.call(
        { method: 'GET', path: `/containers/${segment(name)}/json`, as: ['container', 'inspect', name] },
        [404],
      );
      return answer.status === 404 ? undefined : containerSummary(answer.body);
    }
    const text = await dockerMaybe(this.target, ['container', 'inspect', name]);
    return text === undefined ? undefined : parseContainers(text)[0];
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const ids = (
      await docker(this.target, ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${LIST_LABEL}`])
    )
      .split('\n')
      .filter(Boolean);
    return ids.length === 0
      ? []
      : parseContainers(await docker(this.target, ['container', 'inspect', ...ids]));
  }

  async watchChanges(signal: AbortSignal, onChange: ContainerChangeSink): Promise<void> {
    // Loaded on demand: only the TUI and watch keep an event stream open.
    const { RECONNECT_DELAY_MS, watchDockerChanges } = await import('./docker-events.js');
    if (this.api === undefined) {
      await watchDockerChanges(this.target, signal, onChange);
      return;
    }
    const { apiEventStream } = await import('./engine-api/events.js');
    await watchDockerChanges(this.target, signal, onChange, RECONNECT_DELAY_MS, apiEventStream(this.api));
  }

  attach(name: string, stdio: Stdio): Promise<AttachResult> {
    return attach(this.target, name, stdio);
  }

  async exec(name: string, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number> {
    if (this.api !== undefined) {
      const { execOverApi } = await import('./engine-api/exec.js');
      return execOverApi(this.api, name, command, options, stdio);
    }
    return exec(this.target, name, command, options, stdio);
  }

  runOnce(spec: RunSpec, command: readonly string[], options: RunOptions, stdio: Stdio): Promise<number> {
    return runOnce(this.target, spec, command, options, stdio);
  }

  async logs(
    name: string,
    options: { follow: boolean; tail?: number | undefined },
    output: Writable,
  ): Promise<void> {
    const { checkResult, spawnDocker } = await import('./docker-spawn.js');
    const args = [
      'logs',
      ...(options.follow ? ['--follow'] : []),
      ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
      name,
    ];
    const child = spawnDocker(this.target, args, {
      all: true,
      buffer: { all: false, stdout: false, stderr: true },
    });
    if (child.all !== undefined) await pipeline(child.all, output, { end: false });
    checkResult(this.target, args, await child);
  }

  async commit(name: string, options: CommitOptions): Promise<ImageSummary> {
    const changes = restoreCommandChanges({ entrypoint: options.entrypoint, cmd: options.cmd });
    const tag = options.tag === undefined ? [] : [options.tag];
    const args = ['commit', ...changes.flatMap((c) => ['--change', c]), name, ...tag];
    // docker commit prints the new image's id, which names an untagged commit.
    const id = (await docker(this.target, args)).trim();
    const ref = options.tag ?? id;
    const image = await this.inspectImage(ref);
    if (image === undefined)
      throw new DevenvError('DEVENV_RUNTIME_FAILED', `committed ${name} but ${ref} does not exist`);
    return image;
  }

  async listVolumes(): Promise<VolumeSummary[]> {
    const names = (await docker(this.target, ['volume', 'ls', '--quiet'])).split('\n').filter(Boolean);
    return names.length === 0 ? [] : parseVolumes(await docker(this.target, ['volume', 'inspect', ...names]));
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await docker(this.target, [
      'volume',
      'create',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      name,
    ]);
  }

  async removeVolume(name: string): Promise<void> {
    await docker(this.target, ['volume', 'rm', name]);
  }

  async exportVolume(name: string, output: Writable): Promise<void> {
    const { exportVolume } = await import('./docker-volumes.js');
    return exportVolume(this.target, name, output);
  }

  async importVolume(name: string, input: Readable): Promise<void> {
    const { importVolume } = await import('./docker-volumes.js');
    return importVolume(this.target, name, input);
  }
}
