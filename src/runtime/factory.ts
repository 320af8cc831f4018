/**
 * The one place that picks a runtime: `--runtime`, then devenv.yml's `runtime:`, then the runtime an
 * environment recorded, then the user settings, then `auto` (docs/architecture.md#choosing-a-runtime).
 * The engine only ever sees the Runtime interface.
 */
import { existsSync } from 'node:fs';
import path from '../util/node-path.js';
import type { Settings } from '../config/settings.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { envStateDir } from '../util/paths.js';
import { dockerTimeoutMs } from './docker/call-policy.js';
import type { DockerTarget } from './docker/docker-cli.js';
import type { DockerRuntime } from './docker/docker-runtime.js';
import type { EmbeddedRuntime } from './embedded/embedded-runtime.js';
import { resolveStoreRoot } from './embedded/store/root.js';
import type { StoreRoot } from './embedded/store/root.js';
import type { Runtime } from './runtime.js';
import { readRuntimeRecord } from './runtime-record.js';

/** The runtime names a user can ask for. */
export const RUNTIME_CHOICES = ['auto', 'embedded', 'docker', 'podman'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

/** Where the choice can come from, most specific first. */
export interface RuntimeRequest {
  flag?: string | undefined;
  config?: string | undefined;
  settings?: string | undefined;
  /** A runtime an existing environment recorded; wins over auto. */
  recorded?: string | undefined;
}

/** Facts the runtimes need, passed in from cli.ts. */
export interface RuntimeHost {
  env: Readonly<Record<string, string | undefined>>;
  /** `--context NAME` for the docker CLI. */
  context?: string | undefined;
  /** `--root DIR`: the embedded runtime's store. */
  root?: string | undefined;
  /** The user settings (storage, registry mirrors, insecure registries, proxy). */
  settings: Settings;
  homeDir: string;
  cwd: string;
  /** The caller's uid: root's store lives in /var/lib/devenv, everyone else's under their home. */
  uid: number;
  /** Node's `process.arch`, for multi-platform images. */
  arch: string;
  /** The command run's interrupt; the Docker runtime kills its calls in flight when it fires. */
  signal?: AbortSignal | undefined;
}

/** The embedded store's root: `--root`, else `DEVENV_ROOT`, else the `storage` setting, else the default. */
export function embeddedStoreRoot(host: RuntimeHost): StoreRoot {
  return resolveStoreRoot({
    flag: host.root,
    env: host.env,
    settingsStorage: host.settings.storage,
    uid: host.uid,
    homeDir: host.homeDir,
    cwd: host.cwd,
  });
}

/** Long enough for another command's short critical section; a longer one is reported as busy. */
const STORE_MOVE_LOCK_WAIT_MS = 15_000;

/**
 * Moves the embedded store from where {@link embeddedStoreRoot} finds it to `to`: copied, verified
 * and switched under the store lock. `switchTo` records the new root (the settings file) as the
 * switch itself, so a crash leaves the settings naming one complete store.
 */
export async function moveEmbeddedStore(
  host: RuntimeHost,
  to: string,
  options: { switchTo: (root: string) => Promise<void>; onProgress: (message: string) => void },
): Promise<{ from: StoreRoot; root: string; bytes: number }> {
  const { moveStorage } = await import('./embedded/store/move.js');
  const from = embeddedStoreRoot(host);
  const moved = await moveStorage({
    from: from.root,
    to,
    ...options,
    lockTimeoutMs: STORE_MOVE_LOCK_WAIT_MS,
  });
  return { from, ...moved };
}

/**
 * The embedded runtime on the store {@link embeddedStoreRoot} picks. Loaded on demand: its store,
 * registry client and layer code cost ~230 ms of module loading that Docker commands never need.
 */
export async function embeddedRuntime(host: RuntimeHost): Promise<EmbeddedRuntime> {
  const { EmbeddedRuntime } = await import('./embedded/embedded-runtime.js');
  const { root } = embeddedStoreRoot(host);
  return new EmbeddedRuntime({
    root,
    homeDir: host.homeDir,
    env: host.env,
    settings: host.settings,
    arch: host.arch,
    signal: host.signal,
  });
}

/**
 * The effective choice, or a usage error for an unknown name: `--runtime`, then devenv.yml's
 * `runtime:`, then the runtime the environment recorded when it was made, then the settings file,
 * then `auto`. The record outranks the settings so that an environment stays where it lives (or was
 * moved to) when the user's default changes; devenv.yml outranks the record because it is the
 * project's own, explicit choice.
 */
export function chooseRuntime(request: RuntimeRequest): RuntimeChoice {
  for (const value of [
    request.flag,
    request.config !== 'auto' ? request.config : undefined,
    request.recorded,
    request.settings !== 'auto' ? request.settings : undefined,
  ]) {
    if (value === undefined) continue;
    if (!(RUNTIME_CHOICES as readonly string[]).includes(value)) {
      throw new DevenvError('DEVENV_USAGE', `unknown runtime "${value}"`, {
        hint: `use one of: ${RUNTIME_CHOICES.join(', ')}`,
      });
    }
    return value as RuntimeChoice;
  }
  return 'auto';
}

/** How to reach the docker (or podman) CLI: context, environment, interrupt and call limit. */
export function dockerTarget(binary: 'docker' | 'podman', host: RuntimeHost): DockerTarget {
  return {
    binary,
    context: host.context,
    env: host.env,
    signal: host.signal,
    timeoutMs: dockerTimeoutMs(host.env),
  };
}

/**
 * The Docker (or Podman) runtime. Loaded on demand like the embedded one: its CLI, Engine API client
 * and session code (with node:http and node:net) are modules an embedded environment never needs.
 */
async function dockerLike(
  binary: 'docker' | 'podman',
  host: RuntimeHost,
  target: DockerTarget = dockerTarget(binary, host),
): Promise<DockerRuntime> {
  const { DockerRuntime } = await import('./docker/docker-runtime.js');
  return new DockerRuntime(target);
}

/** The first `binary` on the caller's PATH, if any. */
function onPath(binary: string, env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['PATH'] ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, binary)));
}

/** What `auto` picks on this host, and why, in words `doctor` prints. */
export interface AutoPick {
  runtime: Exclude<RuntimeChoice, 'auto'>;
  reason: string;
}

/**
 * `auto`: the embedded runtime wherever it can run containers here (Linux, root, util-linux, and a
 * kernel that grants the namespaces: the same probe its containers rely on), else Docker when its CLI
 * is installed, else Podman. Only environments without a recorded runtime and commands on images
 * get here, so the probe (one short process) stays off the hot path of an existing environment.
 */
export async function pickAuto(host: RuntimeHost): Promise<AutoPick> {
  const { sandboxSupport } = await import('./embedded/sandbox/support.js');
  const support = await sandboxSupport();
  if (support.ok)
    return {
      runtime: 'embedded',
      reason:
        'the embedded runtime can run containers here (Linux, root, util-linux, namespaces), so no daemon is needed',
    };
  for (const binary of ['docker', 'podman'] as const)
    if (onPath(binary, host.env))
      return {
        runtime: binary,
        reason: `the embedded runtime cannot run containers here (${support.reason}); ${binary} is installed`,
      };
  throw new DevenvError(
    'DEVENV_RUNTIME_MISSING',
    `no container runtime is available: the embedded runtime cannot run containers here (${support.reason}), and neither docker nor podman is on PATH`,
    { hint: `${support.hint} Or install Docker (Debian: apt-get install docker.io), or Podman.` },
  );
}

/** Makes the runtime; `auto` is resolved by {@link pickAuto}. The daemon is not pinged here. */
export async function createRuntime(choice: RuntimeChoice, host: RuntimeHost): Promise<Runtime> {
  const runtime = choice === 'auto' ? (await pickAuto(host)).runtime : choice;
  if (runtime === 'embedded') return embeddedRuntime(host);
  return dockerLike(runtime, host);
}

/** How long `auto` waits for Docker when it looks for an environment made before runtimes were recorded. */
const LEGACY_PROBE_MS = 5_000;

/**
 * The runtime of the environment `name`: its recorded runtime unless the user or devenv.yml names
 * one. With no record and `auto` picking the embedded runtime, an environment devenv made on Docker
 * before it recorded runtimes (or before `auto` changed) is looked for there once, so it is still
 * driven where it lives; the record written at its next (re)creation ends that search.
 */
export async function runtimeForEnvironment(
  request: RuntimeRequest,
  host: RuntimeHost,
  name: string,
): Promise<Runtime> {
  const recorded = await readRuntimeRecord(envStateDir(host.env, host.homeDir, name));
  const choice = chooseRuntime({ ...request, recorded });
  if (choice !== 'auto') return createRuntime(choice, host);
  const pick = await pickAuto(host);
  if (pick.runtime !== 'embedded' || !onPath('docker', host.env)) return createRuntime(pick.runtime, host);
  const embedded = await embeddedRuntime(host);
  if ((await embedded.inspectContainer(name)) !== undefined) return embedded;
  const docker = await dockerLike('docker', host, {
    ...dockerTarget('docker', host),
    timeoutMs: LEGACY_PROBE_MS,
  });
  const found = await docker.inspectContainer(name).catch(() => undefined);
  return found?.labels[LABELS.name] !== undefined ? dockerLike('docker', host) : embedded;
}

/**
 * The runtimes `devenv ls` looks at: the one named with `--runtime` or in the settings, else every
 * runtime this host has: the embedded store when it exists or can run containers here, and Docker
 * (or Podman) when its CLI is installed.
 */
export async function runtimesToList(request: RuntimeRequest, host: RuntimeHost): Promise<Runtime[]> {
  const choice = chooseRuntime(request);
  if (choice !== 'auto') return [await createRuntime(choice, host)];
  const runtimes: Runtime[] = [];
  const canRun = async (): Promise<boolean> => {
    const { sandboxSupport } = await import('./embedded/sandbox/support.js');
    return (await sandboxSupport()).ok;
  };
  // With a store here, no probe: it is listed whether or not it can run containers now.
  if (existsSync(embeddedStoreRoot(host).root) || (await canRun()))
    runtimes.push(await embeddedRuntime(host));
  const cli = (['docker', 'podman'] as const).find((binary) => onPath(binary, host.env));
  if (cli !== undefined) runtimes.push(await dockerLike(cli, host));
  // None at all: pickAuto says why and how to get one.
  return runtimes.length > 0 ? runtimes : [await createRuntime('auto', host)];
}
