/** Shared steps of commands that work on the project's devenv.yml: load it, report warnings, plan it. */
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/load.js';
import { loadSettings, settingsPath } from '../config/settings.js';
import type { Settings } from '../config/settings.js';
import { compilePlan } from '../plan/compile-plan.js';
import type { Plan } from '../plan/types.js';
import { envStateDir } from '../util/paths.js';
import { loadFragments } from '../util/templates.js';
import type { CommandContext } from './context.js';

/** Loads devenv.yml (printing its warnings) and the user settings. */
export async function loadProject(
  ctx: CommandContext,
): Promise<{ loaded: LoadedConfig; settings: Settings }> {
  const settings = await loadSettings(settingsPath(ctx.env, ctx.homeDir));
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
