/**
 * The one place that picks a runtime: `--runtime`, then devenv.yml's `runtime:`, then the user
 * settings, then `auto` (docs/architecture.md#data-flow). The engine only ever sees the Runtime interface.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { DevenvError } from '../errors.js';
import { dockerTimeoutMs } from './docker/call-policy.js';
import type { DockerTarget } from './docker/docker-cli.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import type { EmbeddedRuntime } from './embedded/embedded-runtime.js';
import { resolveStoreRoot } from './embedded/store/root.js';
import type { StoreRoot } from './embedded/store/root.js';
import type { Runtime } from './runtime.js';

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

/** The effective choice, or a usage error for an unknown name. */
export function chooseRuntime(request: RuntimeRequest): RuntimeChoice {
  for (const value of [
    request.flag,
    request.recorded,
    request.config !== 'auto' ? request.config : undefined,
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

function dockerLike(binary: 'docker' | 'podman', host: RuntimeHost): DockerRuntime {
  return new DockerRuntime(dockerTarget(binary, host));
}

/** The first `binary` on the caller's PATH, if any. */
function onPath(binary: string, env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['PATH'] ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, binary)));
}

/**
 * Makes the runtime. `auto` takes Docker when its CLI is installed, else Podman, else explains how to
 * get either. The daemon is not pinged here: that would cost a round trip on every command, and the
 * first real call reports a daemon that is down or refuses us with the same clear errors. `auto` does
 * not take the embedded runtime yet, even where `doctor` says the host supports it: `auto` serves
 * `up`, and the embedded runtime cannot build or run containers until the next issues land, so
 * choosing it would turn every `devenv up` into DEVENV_UNSUPPORTED. Image commands reach it with
 * `--runtime embedded` (or `runtime: embedded` in the settings).
 */
export function createRuntime(choice: RuntimeChoice, host: RuntimeHost): Promise<Runtime> {
  if (choice === 'docker' || choice === 'podman') return Promise.resolve(dockerLike(choice, host));
  if (choice === 'embedded') return embeddedRuntime(host);
  for (const binary of ['docker', 'podman'] as const)
    if (onPath(binary, host.env)) return Promise.resolve(dockerLike(binary, host));
  return Promise.reject(
    new DevenvError(
      'DEVENV_RUNTIME_MISSING',
      'no container runtime is available: neither docker nor podman is on PATH',
      {
        hint: 'install Docker (Debian: apt-get install docker.io) and start it, or install Podman',
      },
    ),
  );
}
