/**
 * `devenv move NAME --to RUNTIME`: the environment leaves one runtime on this machine for another,
 * as `save` on one side and `load` on the other would move it, but through pipes: the committed
 * image streams from one runtime's `saveImages` into the other's loader, each volume from
 * `exportVolume` into `importVolume`, and no file the size of the environment is ever written. The
 * proxy and host-only variables are left out as in a bundle. The source is removed only once the
 * destination holds the whole environment; a failure before that leaves the source as it was.
 */
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { loadConfig } from '../config/load.js';
import { BASE_IMAGE_LABEL, startEnvContainer } from '../engine/container.js';
import type { EngineContext } from '../engine/engine-context.js';
import { withEnvLock } from '../engine/env-lock.js';
import { planFor, stateDirOf } from '../engine/project.js';
import type { Caller } from '../engine/project.js';
import { requireContainer } from '../engine/session.js';
import { removeEnvironmentImages } from '../engine/superseded.js';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { imageTag } from '../plan/naming.js';
import { runJob } from '../runtime/events.js';
import type { Plan } from '../plan/types.js';
import { loadUntagged } from './load-image.js';
import { ensureNameFree, restoreEnvironment } from './restore.js';
import type { RestoreSource } from './restore.js';
import { rewriteImageArchive } from './rewrite-archive.js';
import { HOST_ONLY_ENV } from './save.js';

export interface MoveRequest {
  name: string;
  caller: Caller;
}

/** What a move did. */
export interface MoveResult {
  name: string;
  from: string;
  to: string;
  image: string;
  volumes: string[];
  /** The environment was running, and runs again on the new runtime. */
  started: boolean;
}

/** The environment's volumes: the runtime's name and the name within the environment. */
function volumesOf(name: string, mounts: readonly { type: string; name?: string | undefined }[]) {
  return mounts.flatMap((mount) =>
    mount.type === 'volume' && mount.name !== undefined
      ? [
          {
            full: mount.name,
            name: mount.name.startsWith(`devenv-${name}-`)
              ? mount.name.slice(`devenv-${name}-`.length)
              : mount.name,
          },
        ]
      : [],
  );
}

/** The plan of the environment from its devenv.yml, where the container says it is. */
async function planOf(
  from: EngineContext,
  to: EngineContext,
  request: MoveRequest,
  labels: Record<string, string>,
): Promise<{ plan: Plan; stateDir: string }> {
  const file = labels[LABELS.config];
  if (file === undefined)
    throw new DevenvError('DEVENV_NOT_FOUND', `${request.name} does not record its devenv.yml`, {
      hint: 'recreate it with devenv up from its project folder, then move it',
    });
  const loaded = await loadConfig({ cwd: request.caller.cwd, file, homeDir: request.caller.homeDir });
  const pinned = loaded.config.runtime;
  if (pinned !== 'auto' && pinned !== to.runtime.name)
    throw new DevenvError(
      'DEVENV_USAGE',
      `${loaded.file} says runtime: ${pinned}, so devenv would keep looking for ${request.name} there`,
      { hint: `change runtime: to ${to.runtime.name} (or remove it), then move ${request.name}` },
    );
  if (loaded.config.name !== request.name)
    throw new DevenvError('DEVENV_CONFIG_INVALID', `${loaded.file} now names ${loaded.config.name}`, {
      hint: `move the environment from the folder whose devenv.yml names ${request.name}`,
    });
  const stateDir = stateDirOf(request.caller, request.name);
  const place = { projectDir: loaded.projectDir, configFile: loaded.file };
  return { plan: await planFor(loaded.config, place, request.caller, stateDir), stateDir };
}

/**
 * Commits the container and streams the commit, renamed and without host-only variables, from
 * `from` into `to`, untagged; resolves with its id there and the undo of the load.
 */
async function streamImage(
  from: EngineContext,
  to: EngineContext,
  name: string,
  committed: string,
): Promise<{ imageId: string; undo: () => Promise<void> }> {
  let imageId = '';
  const undo = await loadUntagged(
    to,
    () => {
      const archive = new PassThrough();
      const pack = tar.pack();
      const out = new PassThrough();
      const rewriting = rewriteImageArchive(archive, pack, { dropEnv: HOST_ONLY_ENV, tag: imageTag(name) });
      const saving = from.runtime.saveImages([committed], archive, from.onEvent);
      Promise.all([rewriting, saving]).then(
        ([result]) => {
          imageId = result.imageId;
          pack.finalize();
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          archive.destroy(failure);
          pack.destroy(failure);
        },
      );
      // A failure on either side ends the other: the loader sees the error as a broken archive.
      pipeline(pack, out).catch((error: unknown) => {
        out.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      return out;
    },
    `the image of ${name} from ${from.runtime.name}`,
    // Known once the archive has passed, which is when loadUntagged asks.
    () => imageId,
  );
  return { imageId, undo };
}

/** Moves environment `request.name` from `from` to `to`; see the module comment. */
export async function moveEnvironment(
  from: EngineContext,
  to: EngineContext,
  request: MoveRequest,
): Promise<MoveResult> {
  const { name } = request;
  if (from.runtime.name === to.runtime.name)
    throw new DevenvError('DEVENV_USAGE', `${name} already lives on the ${to.runtime.name} runtime`, {
      hint: 'devenv ls shows where each environment lives',
    });
  return runJob(from.onEvent, 'move', `${name} to ${to.runtime.name}`, () => moveLocked(from, to, request));
}

async function moveLocked(from: EngineContext, to: EngineContext, request: MoveRequest): Promise<MoveResult> {
  const { name } = request;
  const found = await requireContainer(from, name);
  const { plan, stateDir } = await planOf(from, to, request, found.labels);
  await ensureNameFree(to, name);
  return withEnvLock(from, name, 'devenv move', async () => {
    const container = await requireContainer(from, name);
    const running = container.state === 'running';
    if (running) {
      from.onEvent({ type: 'info', message: `stopping ${name} to move it` });
      await from.runtime.stopContainer(name);
    }
    const baseId = container.labels[BASE_IMAGE_LABEL] ?? container.imageId;
    const base = await from.runtime.inspectImage(baseId);
    if (base === undefined)
      throw new DevenvError('DEVENV_NOT_FOUND', `the image of ${name} (${baseId}) is gone`, {
        hint: 'run devenv up to rebuild it, then move it',
      });
    from.onEvent({ type: 'info', message: `committing the changes in ${name}` });
    const committed = (
      await from.runtime.commit(name, {
        entrypoint: base.entrypoint,
        cmd: base.cmd,
        dropEnv: [...HOST_ONLY_ENV],
      })
    ).id;
    const volumes = volumesOf(name, container.mounts);
    let created = false;
    try {
      from.onEvent({ type: 'info', message: `moving the image of ${name} to ${to.runtime.name}` });
      const image = await streamImage(from, to, name, committed);
      const source: RestoreSource = {
        imageId: image.imageId,
        loadImage: () => Promise.resolve(image.undo),
        volumes,
        fillVolume: async (logical, full) => {
          const saved = volumes.find((v) => v.name === logical)?.full ?? logical;
          const pipe = new PassThrough();
          await Promise.all([
            from.runtime.exportVolume(saved, pipe).catch((error: unknown) => {
              pipe.destroy(error instanceof Error ? error : new Error(String(error)));
              throw error;
            }),
            to.runtime.importVolume(full, pipe),
          ]);
        },
      };
      const moved = await restoreEnvironment(to, source, plan, stateDir);
      created = true;
      if (running) await startEnvContainer(to, plan.run, stateDir, moved);
      // The destination holds everything: the source goes (the commit first: it holds its image).
      await from.runtime.removeImage(committed, { force: true }).catch(() => undefined);
      await from.runtime.removeContainer(name, { force: true });
      for (const volume of volumes) await from.runtime.removeVolume(volume.full);
      await removeEnvironmentImages(from, name);
      return {
        name,
        from: from.runtime.name,
        to: to.runtime.name,
        image: image.imageId,
        volumes: volumes.map((v) => v.name),
        started: running,
      };
    } catch (error) {
      if (!created && running) await from.runtime.startContainer(name).catch(() => undefined);
      throw error;
    } finally {
      await from.runtime.removeImage(committed, { force: true }).catch(() => undefined);
    }
  });
}
