/**
 * `up`: build what changed, create the container if missing, recreate it when its settings or image
 * changed (keeping the writable layer where the image is the same), start it, and attach in a
 * terminal. Two `up`s on one environment never interleave: the second waits for the first.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DevenvError, EXIT_USAGE } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import type { ContainerSummary, ImageSummary } from '../runtime/runtime.js';
import { acquireLock } from '../util/lock.js';
import {
  BASE_IMAGE_LABEL,
  createEnvContainer,
  runPendingCreateHooks,
  startEnvContainer,
} from './container.js';
import type { EngineContext } from './context.js';
import { ensureImage } from './image.js';
import type { BuildOptions, Project } from './image.js';

export interface UpOptions extends BuildOptions {
  /** Leave the environment running and return instead of attaching. */
  detach: boolean;
  /** Recreate the container from the image even if nothing changed (changes outside volumes are lost). */
  recreate: boolean;
  /** On an image change, keep the old container instead of recreating it. */
  keepState: boolean;
  /** Do not ask before discarding the container's changes. */
  yes: boolean;
}

/** What up did, for the summary line and `--json`. */
export interface UpResult {
  name: string;
  runtime: string;
  container: string;
  image: string;
  built: boolean;
  action: 'created' | 'recreated' | 'recreated-keeping-state' | 'started' | 'running' | 'kept-old-image';
  attached: boolean;
  /** The main session's exit status, when up attached and the session ended. */
  status?: number | undefined;
  detached?: boolean | undefined;
}

/** How an existing container relates to what the plan wants. */
export type Drift = 'none' | 'run' | 'image';

/** Pure: compares a container with the image and run digest the plan wants. */
export function driftOf(container: ContainerSummary, image: ImageSummary, runDigest: string): Drift {
  const base = container.labels[BASE_IMAGE_LABEL] ?? container.imageId;
  if (base !== image.id) return 'image';
  if (container.labels[LABELS.run] !== runDigest) return 'run';
  return 'none';
}

function checkOwnership(container: ContainerSummary, project: Project): void {
  const owner = container.labels[LABELS.project];
  if (owner === undefined) {
    throw new DevenvError(
      'DEVENV_BUSY',
      `a container named ${container.name} exists and devenv did not make it`,
      { hint: 'set another name in devenv.yml, or remove that container', exitCode: EXIT_USAGE },
    );
  }
  if (path.resolve(owner) !== path.resolve(project.projectDir)) {
    throw new DevenvError(
      'DEVENV_BUSY',
      `the environment ${container.name} belongs to another project (${owner})`,
      { hint: 'set another name in devenv.yml, or run devenv rm in that project', exitCode: EXIT_USAGE },
    );
  }
}

async function recreate(
  ctx: EngineContext,
  project: Project,
  container: ContainerSummary,
  image: ImageSummary,
  keepState: boolean,
): Promise<ContainerSummary> {
  const spec = project.plan.run;
  let from = project.plan.image.tag;
  if (keepState) {
    // Commit the writable layer, then build the new container on top of it.
    const stateTag = `${project.plan.image.tag.replace(/:[^:/]+$/, '')}:state`;
    await ctx.runtime.commit(container.name, {
      tag: stateTag,
      entrypoint: image.entrypoint,
      cmd: image.cmd,
      dropEnv: Object.keys(spec.secretEnv),
    });
    from = stateTag;
  }
  if (container.state === 'running') await ctx.runtime.stopContainer(container.name, 10);
  await ctx.runtime.removeContainer(container.name, { force: true });
  return createEnvContainer(ctx, spec, project.stateDir, from, image.id);
}

/** Brings the environment up; see {@link UpOptions}. */
export async function up(ctx: EngineContext, project: Project, options: UpOptions): Promise<UpResult> {
  const spec = project.plan.run;
  await mkdir(project.stateDir, { recursive: true });
  const lock = await acquireLock(path.join(project.stateDir, 'lock'), {
    purpose: `devenv up ${spec.name}`,
    timeoutMs: 60 * 60 * 1000,
    signal: ctx.signal,
    onWait: (holder) => {
      ctx.onEvent({ type: 'info', message: `waiting for ${holder} to finish with ${spec.name}` });
    },
  });
  let result: UpResult;
  try {
    const { image, built } = await ensureImage(ctx, project, options);
    let container = await ctx.runtime.inspectContainer(spec.name);
    let action: UpResult['action'];
    if (container === undefined) {
      container = await createEnvContainer(ctx, spec, project.stateDir, project.plan.image.tag, image.id);
      action = 'created';
    } else {
      checkOwnership(container, project);
      const drift = options.recreate ? 'image' : driftOf(container, image, project.plan.digests.run);
      if (drift === 'image' && options.keepState && !options.recreate) {
        ctx.onEvent({
          type: 'warning',
          message: `the image of ${spec.name} changed; --keep-state keeps the old container, which still runs the previous image`,
        });
        action = 'kept-old-image';
      } else if (drift === 'image') {
        ctx.onEvent({
          type: 'warning',
          message: `${options.recreate ? 'recreating' : 'the image changed, so recreating'} ${spec.name}: changes made in the container outside named volumes and mounts will be lost (use --keep-state to keep the old container)`,
        });
        if (
          ctx.interactive &&
          !options.yes &&
          !(await ctx.confirm(`Recreate ${spec.name} and discard those changes?`))
        ) {
          throw new DevenvError('DEVENV_ABORTED', 'nothing was changed', {
            hint: 'run devenv up --keep-state to keep using the old container',
          });
        }
        container = await recreate(ctx, project, container, image, false);
        action = 'recreated';
      } else if (drift === 'run') {
        ctx.onEvent({
          type: 'info',
          message: `run settings of ${spec.name} changed: recreating it and keeping its files`,
        });
        container = await recreate(ctx, project, container, image, true);
        action = 'recreated-keeping-state';
      } else {
        action = container.state === 'running' ? 'running' : 'started';
      }
    }
    if (container.state !== 'running') await startEnvContainer(ctx, spec, project.stateDir, container);
    else await runPendingCreateHooks(ctx, spec, project.stateDir, container);
    result = {
      name: spec.name,
      runtime: ctx.runtime.name,
      container: container.id,
      image: image.id,
      built,
      action,
      attached: false,
    };
  } finally {
    await lock.release();
  }
  if (options.detach || !ctx.interactive) return result;
  const session = await ctx.runtime.attach(spec.name, ctx.stdio);
  return session.kind === 'detached'
    ? { ...result, attached: true, detached: true }
    : { ...result, attached: true, status: session.status };
}
