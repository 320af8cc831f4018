/**
 * `up`: build what changed, create the container if missing, recreate it when its settings or image
 * changed (keeping the writable layer where the image is the same), start it, and attach in a
 * terminal. Two `up`s on one environment never interleave: the second waits for the first. An `up`
 * that finds nothing to change returns after reads alone, without the lock and without starting a
 * process (see {@link unchanged}).
 */
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { LABELS, runSettingsOf } from '../plan/compile-plan.js';
import { envListToMap } from '../plan/env-refs.js';
import type { RunSpec } from '../plan/types.js';
import { PROXY_VARIABLES } from '../plan/proxy.js';
import type { ContainerSummary, ImageSummary } from '../runtime/runtime.js';
import {
  BASE_IMAGE_LABEL,
  createEnvContainer,
  createHooksDone,
  runPendingCreateHooks,
  startEnvContainer,
} from './container.js';
import type { EngineContext } from './engine-context.js';
import { withEnvLock } from './env-lock.js';
import { checkImage, ensureImage } from './image.js';
import { settleShell } from './shell.js';
import type { BuildOptions, Project } from './image.js';
import { describeRunChanges, readRunSettings } from './run-changes.js';
import { attachSession } from './session.js';
import { removeSupersededImages } from './superseded.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';
import { leaveHotPath } from '../util/hot-path.js';

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

/** True when `container` was made by devenv for this project. */
function ownedBy(container: ContainerSummary, project: Project): boolean {
  const owner = container.labels[LABELS.project];
  return owner !== undefined && path.resolve(owner) === path.resolve(project.projectDir);
}

function checkOwnership(container: ContainerSummary, project: Project): void {
  if (ownedBy(container, project)) return;
  const owner = container.labels[LABELS.project];
  if (owner === undefined) {
    throw new DevenvError(
      'DEVENV_BUSY',
      `a container named ${container.name} exists and devenv did not make it`,
      { hint: 'set another name in devenv.yml, or remove that container' },
    );
  }
  throw new DevenvError(
    'DEVENV_BUSY',
    `the environment ${container.name} belongs to another project (${owner})`,
    { hint: 'set another name in devenv.yml, or run devenv rm in that project' },
  );
}

/**
 * Variables a commit carries over from the old container that devenv.yml no longer sets. Docker
 * cannot unset a variable of an image, so they are set empty in the new container (and named).
 */
function droppedVariables(committed: ImageSummary, image: ImageSummary, spec: RunSpec): string[] {
  const keep = new Set([...envListToMap(image.env).keys(), ...Object.keys(spec.env)]);
  return [...envListToMap(committed.env).keys()].filter(
    (name) => !keep.has(name) && !PROXY_VARIABLES.includes(name),
  );
}

async function recreate(
  ctx: EngineContext,
  project: Project,
  container: ContainerSummary,
  image: ImageSummary,
  keepState: boolean,
): Promise<ContainerSummary> {
  let spec = project.plan.run;
  let from = project.plan.image.tag;
  if (keepState && ctx.runtime.recreateKeepingFiles !== undefined) {
    // The new container sits on the image the old one used, with its writable layer as it is; by
    // name while the name still means that image, so ls and status keep showing the name.
    const named = (await ctx.runtime.inspectImage(container.image))?.id === container.imageId;
    const ref = named ? container.image : container.imageId;
    return createEnvContainer(ctx, spec, project.stateDir, ref, image, container.name);
  }
  if (keepState) {
    // Commit the writable layer, then build the new container on top of it.
    const stateTag = `${project.plan.image.tag.replace(/:[^:/]+$/, '')}:state`;
    const committed = await ctx.runtime.commit(container.name, {
      tag: stateTag,
      entrypoint: image.entrypoint,
      cmd: image.cmd,
      dropEnv: Object.keys(spec.secretEnv),
    });
    from = stateTag;
    const dropped = droppedVariables(committed, image, spec);
    if (dropped.length > 0) {
      ctx.onEvent({
        type: 'info',
        message: `${dropped.join(', ')} left devenv.yml; the container keeps its files, so ${dropped.length === 1 ? 'it is' : 'they are'} set empty rather than unset`,
      });
      spec = { ...spec, env: { ...spec.env, ...Object.fromEntries(dropped.map((n) => [n, ''])) } };
    }
  }
  if (container.state === 'running') await ctx.runtime.stopContainer(container.name, 10);
  await ctx.runtime.removeContainer(container.name, { force: true });
  return createEnvContainer(ctx, spec, project.stateDir, from, image);
}

/** Refuses to discard the container's changes without consent: `-y`, or a yes at the prompt. */
async function consentToDiscard(ctx: EngineContext, name: string, options: UpOptions): Promise<void> {
  if (options.yes) return;
  if (!ctx.interactive) {
    throw new DevenvError(
      'DEVENV_ABORTED',
      `recreating ${name} would discard the changes made in it (outside named volumes and mounts), and there is no terminal to ask; nothing was changed`,
      {
        hint: `run devenv up -y to recreate it anyway, or devenv up --keep-state to keep using the old container`,
      },
    );
  }
  if (!(await ctx.confirm(`Recreate ${name} and discard those changes?`))) {
    throw new DevenvError('DEVENV_ABORTED', 'nothing was changed', {
      hint: 'run devenv up --keep-state to keep using the old container',
    });
  }
}

/** The line `up` prints before recreating for changed run settings. */
function runDriftMessage(container: ContainerSummary, spec: RunSpec): string {
  const before = readRunSettings(container.labels);
  const changes = before === undefined ? [] : describeRunChanges(before, runSettingsOf(spec));
  return `run settings of ${spec.name} changed${changes.length === 0 ? '' : `: ${changes.join(', ')}`}; recreating it and keeping its files`;
}

/**
 * The result of an `up` with nothing to do, found by reads alone, in parallel: the image's inputs
 * label, the container's owner, image, run digest and state, and the create hooks' marker. Undefined
 * when anything would change; the caller then takes the lock and decides again from scratch.
 *
 * Safe without the lock because it changes nothing and trusts nothing it did not just read: each
 * read is of the real image, container and marker, and a stale or torn set of reads (another
 * command changing the environment while they run) can only show something out of date, which
 * sends this `up` to the locked path. When every read shows the environment as the plan wants it,
 * it was so at that moment, and this `up` is ordered before whatever changes it next.
 */
async function unchanged(
  ctx: EngineContext,
  project: Project,
  options: UpOptions,
): Promise<UpResult | undefined> {
  if (options.recreate) return undefined;
  const spec = project.plan.run;
  const [image, container] = await Promise.all([
    checkImage(ctx, project, options),
    ctx.runtime.inspectContainer(spec.name),
  ]);
  if (!('image' in image) || container === undefined || container.state !== 'running') return undefined;
  if (!ownedBy(container, project)) return undefined;
  if (driftOf(container, image.image, project.plan.digests.run) !== 'none') return undefined;
  if (!createHooksDone(spec, project.stateDir, container)) return undefined;
  return {
    name: spec.name,
    runtime: ctx.runtime.name,
    container: container.id,
    image: image.image.id,
    built: false,
    action: 'running',
    attached: false,
  };
}

/** Brings the environment up; see {@link UpOptions}. */
export async function up(ctx: EngineContext, planned: Project, options: UpOptions): Promise<UpResult> {
  let project = planned;
  let spec = project.plan.run;
  await ensureWritableDir(project.stateDir, STATE_FOLDER);
  // The lock covers building and creating only; the attach below runs after it is released.
  const result =
    (await unchanged(ctx, project, options)) ??
    (await withEnvLock(ctx, spec.name, 'devenv up', async (): Promise<UpResult> => {
      // Building, creating or starting: none of it belongs in the code cache a no-op up reads.
      leaveHotPath();
      const { image, built } = await ensureImage(ctx, project, options);
      project = await settleShell(ctx, project, image);
      spec = project.plan.run;
      let container = await ctx.runtime.inspectContainer(spec.name);
      let action: UpResult['action'];
      if (container === undefined) {
        container = await createEnvContainer(ctx, spec, project.stateDir, project.plan.image.tag, image);
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
          await consentToDiscard(ctx, spec.name, options);
          container = await recreate(ctx, project, container, image, false);
          action = 'recreated';
        } else if (drift === 'run') {
          ctx.onEvent({ type: 'info', message: runDriftMessage(container, spec) });
          container = await recreate(ctx, project, container, image, true);
          action = 'recreated-keeping-state';
        } else {
          action = container.state === 'running' ? 'running' : 'started';
        }
      }
      if (container.state !== 'running') await startEnvContainer(ctx, spec, project.stateDir, container);
      else await runPendingCreateHooks(ctx, spec, project.stateDir, container);
      if (built || action.startsWith('recreated')) await removeSupersededImages(ctx, spec.name);
      return {
        name: spec.name,
        runtime: ctx.runtime.name,
        container: container.id,
        image: image.id,
        built,
        action,
        attached: false,
      };
    }));
  if (options.detach || !ctx.interactive) return result;
  const session = await attachSession(ctx, spec.name);
  return session.kind === 'detached'
    ? { ...result, attached: true, detached: true }
    : { ...result, attached: true, status: session.status };
}
