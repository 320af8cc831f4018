/** start, stop, restart, ls and status of environments (rm is in remove.ts). */
import { LABELS } from '../plan/compile-plan.js';
import type { RunSpec } from '../plan/types.js';
import type { ContainerSummary } from '../runtime/runtime.js';
import { startEnvContainer } from './container.js';
import { unpublishedPorts } from './ports.js';
import type { PlannedPorts, UnpublishedPort } from './ports.js';
import type { EngineContext } from './engine-context.js';
import { withEnvLock } from './env-lock.js';
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
  return withEnvLock(ctx, name, 'devenv start', async () => {
    const container = await requireContainer(ctx, name);
    if (container.state === 'running') return container;
    if (project === undefined) await ctx.runtime.startContainer(name);
    else await startEnvContainer(ctx, project.spec, project.stateDir, container);
    return container;
  });
}

/** Stops the environment; the main process gets `timeoutSeconds` to exit before it is killed. */
export async function stopEnvironment(
  ctx: EngineContext,
  name: string,
  timeoutSeconds?: number,
): Promise<void> {
  await withEnvLock(ctx, name, 'devenv stop', async () => {
    const container = await requireContainer(ctx, name);
    if (container.state !== 'running') return;
    await ctx.runtime.stopContainer(name, timeoutSeconds);
  });
}

/** Stops and starts the environment, holding its lock across both so nothing slips in between. */
export async function restartEnvironment(
  ctx: EngineContext,
  name: string,
  project: { spec: RunSpec; stateDir: string } | undefined,
): Promise<ContainerSummary> {
  return withEnvLock(ctx, name, 'devenv restart', async () => {
    await stopEnvironment(ctx, name);
    return startEnvironment(ctx, name, project);
  });
}
