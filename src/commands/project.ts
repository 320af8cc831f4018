/**
 * Shared steps of commands, from the command's context to the engine's: load devenv.yml (printing its
 * warnings) and the settings, open the project and its runtime, find the environment a command names.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import type { EngineContext } from '../engine/engine-context.js';
import type { Project } from '../engine/image.js';
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { chooseRuntime, createRuntime, runtimeForEnvironment } from '../runtime/factory.js';
import type { RuntimeHost } from '../runtime/factory.js';
import type { CommandContext } from './command.js';
import { engineContext } from './engine-for-command.js';
import { callerOf, loadCachedProject, locateOptions, settingsOf } from './project-cache.js';

export { callerOf, settingsOf } from './project-cache.js';

/** What the runtime factory needs from this command run. */
export function runtimeHost(ctx: CommandContext, settings: Settings): RuntimeHost {
  return {
    env: ctx.env,
    context: ctx.args.globals.context,
    root: ctx.args.globals.root,
    settings,
    homeDir: ctx.homeDir,
    cwd: ctx.cwd,
    uid: ctx.hostUser.uid,
    arch: ctx.arch,
    signal: ctx.signal,
  };
}

/** Loads devenv.yml (printing its warnings) and the user settings. */
export async function loadProject(
  ctx: CommandContext,
): Promise<{ loaded: LoadedConfig; settings: Settings }> {
  const settings = await settingsOf(ctx);
  const { loadConfig } = await import('../config/load.js');
  const loaded = await loadConfig(locateOptions(ctx));
  ctx.out.diagnostics(loaded.warnings);
  return { loaded, settings };
}

/** Compiles the plan of a loaded project; `stateDir` overrides the per-environment state folder. */
export async function planProject(
  ctx: CommandContext,
  loaded: LoadedConfig,
  settings: Settings,
  stateDir?: string,
): Promise<Plan> {
  const place = { projectDir: loaded.projectDir, configFile: loaded.file };
  const { planFor } = await import('../engine/project.js');
  return planFor(loaded.config, place, callerOf(ctx, settings), stateDir);
}

/** Everything a command on the current project needs: the project, the runtime and the engine context. */
export interface ProjectSession {
  project: Project;
  /** The devenv.yml it was loaded from. */
  configFile: string;
  settings: Settings;
  engine: EngineContext;
}

/**
 * Loads and plans the project (from the plan cache when it is current) and opens its runtime,
 * printing devenv.yml's warnings.
 */
export async function openProject(ctx: CommandContext): Promise<ProjectSession> {
  const { project, configFile, settings, configRuntime, warnings } = await loadCachedProject(ctx);
  ctx.out.diagnostics(warnings);
  const runtime = await runtimeForEnvironment(
    { flag: ctx.args.globals.runtime, config: configRuntime, settings: settings.runtime },
    runtimeHost(ctx, settings),
    project.plan.name,
  );
  return { project, configFile, settings, engine: engineContext(ctx, runtime) };
}

/** Loads devenv.yml again and plans it, as {@link openProject} did; for watching it. */
export async function reloadProject(ctx: CommandContext): Promise<Project> {
  const { project, warnings } = await loadCachedProject(ctx);
  ctx.out.diagnostics(warnings);
  return project;
}

/** Opens the runtime without a project (image commands, or an environment named on the command line). */
export async function openRuntime(ctx: CommandContext): Promise<EngineContext> {
  const settings = await settingsOf(ctx);
  const choice = chooseRuntime({ flag: ctx.args.globals.runtime, settings: settings.runtime });
  return engineContext(ctx, await createRuntime(choice, runtimeHost(ctx, settings)));
}

/**
 * The environment a `[NAME]` command works on: the name given, else the current project's. With the
 * project known, its spec and state folder come along (for hooks and host files).
 */
export async function openTarget(
  ctx: CommandContext,
): Promise<{ name: string; engine: EngineContext; session?: ProjectSession | undefined }> {
  const name = ctx.args.positionals[0];
  if (name !== undefined) {
    if (ctx.args.positionals.length > 1)
      throw new UsageError(`unexpected argument ${ctx.args.positionals[1] ?? ''}`);
    const settings = await settingsOf(ctx);
    const runtime = await runtimeForEnvironment(
      { flag: ctx.args.globals.runtime, settings: settings.runtime },
      runtimeHost(ctx, settings),
      name,
    );
    return { name, engine: engineContext(ctx, runtime) };
  }
  const session = await openProject(ctx);
  return { name: session.project.plan.name, engine: session.engine, session };
}
