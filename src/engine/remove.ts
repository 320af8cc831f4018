/**
 * `rm`: the container and the host files that hold its credentials, and with `volumes` everything else devenv made for the environment: its named
 * volumes, its images (the `:state` commit included) and its state folder. Volumes and images are
 * found by their labels, so a second `rm --volumes` after a plain `rm` still finds them.
 */
import { existsSync } from 'node:fs';
import { rm } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import type { EngineContext } from './engine-context.js';
import { withEnvLock } from './env-lock.js';
import { removeHostSecrets } from './host-files.js';
import { removeEnvironmentImages } from './superseded.js';

/** What `rm` removed. */
export interface RemoveResult {
  container: boolean;
  volumes: string[];
  images: string[];
  stateFolder: boolean;
}

export interface RemoveOptions {
  /** Remove a running container too. */
  force: boolean;
  /** Also remove volumes, images and the state folder. */
  volumes: boolean;
  /**
   * Volume names the project's devenv.yml gives, for volumes made before devenv labelled them;
   * empty when only the name is known.
   */
  knownVolumes?: readonly string[] | undefined;
}

function notFound(name: string, leftovers: readonly string[]): DevenvError {
  return new DevenvError('DEVENV_NOT_FOUND', `there is no environment named ${name}`, {
    hint:
      leftovers.length > 0
        ? `its volumes remain (${leftovers.join(', ')}); remove them with: devenv rm --volumes ${name}`
        : 'devenv ls shows the environments that exist',
  });
}

async function volumesOf(ctx: EngineContext, name: string, known: readonly string[]): Promise<string[]> {
  return (await ctx.runtime.listVolumes())
    .filter((v) => v.labels[LABELS.name] === name || known.includes(v.name))
    .map((v) => v.name);
}

async function removeVolume(ctx: EngineContext, name: string, volume: string): Promise<void> {
  try {
    await ctx.runtime.removeVolume(volume);
  } catch (error) {
    throw new DevenvError('DEVENV_BUSY', `could not remove volume ${volume} of ${name}`, {
      hint: 'a container outside devenv may still use it (docker ps -a --filter volume=NAME shows which)',
      cause: error,
    });
  }
}

/**
 * Removes environment `name` (a running one only with `force`). Fails with DEVENV_NOT_FOUND, exit
 * status 1, when there was nothing at all to remove, with or without `force`.
 */
export function removeEnvironment(
  ctx: EngineContext,
  name: string,
  options: RemoveOptions,
): Promise<RemoveResult> {
  return withEnvLock(ctx, name, 'devenv rm', async () => {
    const container = await ctx.runtime.inspectContainer(name);
    if (container?.state === 'running' && !options.force) {
      throw new DevenvError('DEVENV_BUSY', `${name} is running`, {
        hint: `stop it first (devenv stop ${name}) or pass --force`,
      });
    }
    if (container !== undefined) await ctx.runtime.removeContainer(name, { force: options.force });
    const stateDir = path.join(ctx.stateHome, 'envs', name);
    // Also when the container was removed behind devenv's back: no container is left to need them.
    await removeHostSecrets(stateDir);
    const result: RemoveResult = {
      container: container !== undefined,
      volumes: [],
      images: [],
      stateFolder: false,
    };
    const mounted = (container?.mounts ?? []).flatMap((m) =>
      m.type === 'volume' && m.name !== undefined ? [m.name] : [],
    );
    const known = [...mounted, ...(options.knownVolumes ?? [])];
    if (!options.volumes) {
      if (container === undefined) throw notFound(name, await volumesOf(ctx, name, known));
      return result;
    }
    for (const volume of await volumesOf(ctx, name, known)) {
      await removeVolume(ctx, name, volume);
      result.volumes.push(volume);
    }
    result.images = await removeEnvironmentImages(ctx, name);
    if (existsSync(stateDir)) {
      await rm(stateDir, { recursive: true, force: true });
      result.stateFolder = true;
    }
    if (!result.container && result.volumes.length === 0 && result.images.length === 0 && !result.stateFolder)
      throw notFound(name, []);
    return result;
  });
}
