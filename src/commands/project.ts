/** Shared steps of commands: load devenv.yml and the settings, plan, pick the runtime, find the environment. */
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { imageLocator } from '../config/locate-image.js';
import type { LoadedConfig } from '../config/load.js';
import { loadSettings, settingsPath } from '../config/settings.js';
import type { Settings } from '../config/settings.js';
import type { EngineContext } from '../engine/context.js';
import type { Project } from '../engine/image.js';
import { UsageError } from '../errors.js';
import { compilePlan } from '../plan/compile-plan.js';
import type { Plan } from '../plan/types.js';
import { chooseRuntime, createRuntime } from '../runtime/factory.js';
import type { RuntimeHost } from '../runtime/factory.js';
import { envStateDir } from '../util/paths.js';
import { loadFragments } from '../config/templates.js';
import type { CommandContext } from './context.js';
import { engineContext } from './engine-context.js';

/** A path as diagnostics show it: relative to the working directory unless it lies above it. */
function shownPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

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

/** Compiles the plan of a loaded project; `stateDir` overrides the per-environment state folder. */
export async function planProject(
  ctx: CommandContext,
  loaded: LoadedConfig,
  settings: Settings,
  stateDir?: string,
): Promise<Plan> {
  return compilePlan(loaded.config, {
    projectDir: loaded.projectDir,
    configFile: loaded.file,
    homeDir: ctx.homeDir,
    hostUser: ctx.hostUser,
    env: ctx.env,
    stateDir: stateDir ?? envStateDir(ctx.env, ctx.homeDir, loaded.config.name),
    fragments: await loadFragments(),
    settings,
  });
}

/** Everything a command on the current project needs: the project, the runtime and the engine context. */
export interface ProjectSession {
  project: Project;
  settings: Settings;
  engine: EngineContext;
}

/** Loads and plans the project and opens its runtime. */
export async function openProject(ctx: CommandContext): Promise<ProjectSession> {
  const { loaded, settings } = await loadProject(ctx);
  const plan = await planProject(ctx, loaded, settings);
  const choice = chooseRuntime({
    flag: ctx.args.globals.runtime,
    config: loaded.config.runtime,
    settings: settings.runtime,
  });
  const runtime = await createRuntime(choice, runtimeHost(ctx, settings));
  const project: Project = {
    plan,
    projectDir: loaded.projectDir,
    stateDir: envStateDir(ctx.env, ctx.homeDir, plan.name),
    configText: loaded.text,
    locateImage: imageLocator(loaded.text, shownPath(ctx.cwd, loaded.file), loaded.prefix),
  };
  return { project, settings, engine: engineContext(ctx, runtime) };
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
    return { name, engine: await openRuntime(ctx) };
  }
  const session = await openProject(ctx);
  return { name: session.project.plan.name, engine: session.engine, session };
}
