/** start, stop, restart, rm, ls and status of environments. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import type { RunSpec } from '../plan/types.js';
import type { ContainerSummary } from '../runtime/runtime.js';
import { startEnvContainer } from './container.js';
import { unpublishedPorts } from './ports.js';
import type { PlannedPorts, UnpublishedPort } from './ports.js';
import type { EngineContext } from './context.js';
import { requireContainer } from './session.js';

/** One environment as `ls` and `status` describe it. */
export interface EnvironmentInfo {
  name: string;
  state: ContainerSummary['state'];
  runtime: string;
  project: string | undefined;
  image: string;
  created: string | undefined;
  /** Ports published right now. */
  ports: string[];
  /** Ports asked for that are not published, each with the reason. */
  unpublished: UnpublishedPort[];
  mounts: { source: string; target: string; type: string }[];
  exitCode?: number | undefined;
}

/** The info of one container; `planned` is what its devenv.yml asks for, when the project is known. */
export function describe(
  container: ContainerSummary,
  runtime: string,
  planned?: PlannedPorts,
): EnvironmentInfo {
  return {
    name: container.name,
    state: container.state,
    runtime: container.labels[LABELS.runtime] ?? runtime,
    project: container.labels[LABELS.project],
    image: container.image,
    created: container.created,
    ports: container.ports,
    unpublished: unpublishedPorts(container, planned),
    mounts: container.mounts.map((m) => ({ source: m.name ?? m.source, target: m.target, type: m.type })),
    exitCode: container.state === 'exited' ? container.exitCode : undefined,
  };
}

/** Every environment devenv made on this runtime. */
export async function listEnvironments(ctx: EngineContext): Promise<EnvironmentInfo[]> {
  return (await ctx.runtime.listContainers())
    .map((c) => describe(c, ctx.runtime.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Starts a stopped environment; with the project's spec, its hooks run too. */
export async function startEnvironment(
  ctx: EngineContext,
  name: string,
  project: { spec: RunSpec; stateDir: string } | undefined,
): Promise<ContainerSummary> {
  const container = await requireContainer(ctx, name);
  if (container.state === 'running') return container;
  if (project === undefined) await ctx.runtime.startContainer(name);
  else await startEnvContainer(ctx, project.spec, project.stateDir, container);
  return container;
}

/** Stops the environment; the main process gets `timeoutSeconds` to exit before it is killed. */
export async function stopEnvironment(
  ctx: EngineContext,
  name: string,
  timeoutSeconds?: number,
): Promise<void> {
  const container = await requireContainer(ctx, name);
  if (container.state !== 'running') return;
  await ctx.runtime.stopContainer(name, timeoutSeconds);
}

/**
 * Removes the environment's container (running ones only with `force`), and with `volumes` its named
 * volumes and state folder too.
 */
export async function removeEnvironment(
  ctx: EngineContext,
  name: string,
  options: { force: boolean; volumes: boolean; stateHome: string },
): Promise<{ volumes: string[] }> {
  const container = await requireContainer(ctx, name);
  if (container.state === 'running' && !options.force) {
    throw new DevenvError('DEVENV_BUSY', `${name} is running`, {
      hint: `stop it first (devenv stop ${name}) or pass --force`,
    });
  }
  await ctx.runtime.removeContainer(name, { force: options.force });
  const removed: string[] = [];
  if (options.volumes) {
    for (const mount of container.mounts) {
      if (mount.type !== 'volume' || mount.name === undefined) continue;
      await ctx.runtime.removeVolume(mount.name);
      removed.push(mount.name);
    }
    await rm(path.join(options.stateHome, 'envs', name), { recursive: true, force: true });
  }
  return { volumes: removed };
}
