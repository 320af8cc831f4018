/**
 * Shared steps of commands, from the command's context to the engine's: load devenv.yml (printing its
 * warnings) and the settings, open the project and its runtime, find the environment a command names.
 */
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/load.js';
import { loadSettings, settingsPath } from '../config/settings.js';
import type { Settings } from '../config/settings.js';
import type { EngineContext } from '../engine/engine-context.js';
import type { Project } from '../engine/image.js';
import { planFor, projectOf } from '../engine/project.js';
import type { Caller } from '../engine/project.js';
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { chooseRuntime, createRuntime, runtimeForEnvironment } from '../runtime/factory.js';
import type { RuntimeHost } from '../runtime/factory.js';
import type { CommandContext } from './command.js';
import { engineContext } from './engine-for-command.js';

/** Loads the user settings file. */
export async function settingsOf(ctx: CommandContext): Promise<Settings> {
  return loadSettings(settingsPath(ctx.env, ctx.homeDir));
}

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
  const loaded = await loadConfig({
    cwd: ctx.cwd,
    dir: ctx.args.globals.dir,
    file: ctx.args.globals.file,
    homeDir: ctx.homeDir,
  });
  ctx.out.diagnostics(loaded.warnings);
  return { loaded, settings };
}

/** The caller a plan is compiled for: this command run's facts and the user settings. */
export function callerOf(ctx: CommandContext, settings: Settings): Caller {
  return { cwd: ctx.cwd, homeDir: ctx.homeDir, hostUser: ctx.hostUser, env: ctx.env, settings };
}

/** Compiles the plan of a loaded project; `stateDir` overrides the per-environment state folder. */
export async function planProject(
  ctx: CommandContext,
  loaded: LoadedConfig,
  settings: Settings,
  stateDir?: string,
): Promise<Plan> {
  const place = { projectDir: loaded.projectDir, configFile: loaded.file };
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

/** Loads and plans the project and opens its runtime. */
export async function openProject(ctx: CommandContext): Promise<ProjectSession> {
  const { loaded, settings } = await loadProject(ctx);
  const project = await projectOf(loaded, callerOf(ctx, settings));
  const runtime = await runtimeForEnvironment(
    { flag: ctx.args.globals.runtime, config: loaded.config.runtime, settings: settings.runtime },
    runtimeHost(ctx, settings),
    project.plan.name,
  );
  return { project, configFile: loaded.file, settings, engine: engineContext(ctx, runtime) };
}

/** Loads devenv.yml again and plans it, as {@link openProject} did; for watching it. */
export async function reloadProject(ctx: CommandContext): Promise<Project> {
  const { loaded, settings } = await loadProject(ctx);
  return projectOf(loaded, callerOf(ctx, settings));
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
