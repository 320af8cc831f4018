/**
 * The project and settings of a command, from the plan cache when it holds them (no yaml, no zod:
 * see docs/plan-cache.md), else from a full load that refreshes the cache. The loaders of the full
 * load are imported only on that path, so a hot command on a cache hit never loads them.
 */
import { readFile, stat } from '../util/fs-async.js';
import { findConfig } from '../config/find-config.js';
import type { FoundConfig, LocateOptions } from '../config/find-config.js';
import type { Diagnostic } from '../config/diagnostic.js';
import type { LoadedConfig } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { settingsPath } from '../config/settings-path.js';
import type { Project } from '../engine/image.js';
import { inputsUnchanged, snapshotInputs } from '../engine/input-stats.js';
import {
  changedJustNow,
  planCacheDir,
  planCacheFile,
  planCacheKey,
  readPlanCache,
  readSettingsCache,
  settingsCacheFile,
  settingsCacheKey,
  writePlanCache,
  writeSettingsCache,
} from '../engine/plan-cache.js';
import type { PlanCacheEntry, PlanCacheKey } from '../engine/plan-cache.js';
import type { Caller } from '../engine/project.js';
import { leaveHotPath } from '../util/hot-path.js';
import { envStateDir } from '../util/paths.js';
import { shownPath } from '../util/shown-path.js';
import type { CommandContext } from './command.js';

/** The user settings: from the cache while the settings file's stat is unchanged, else loaded. */
export async function settingsOf(ctx: CommandContext): Promise<Settings> {
  const file = settingsPath(ctx.env, ctx.homeDir);
  const cacheFile = settingsCacheFile(planCacheDir(ctx.env, ctx.homeDir));
  const key = await settingsCacheKey(file, ctx.version);
  const cached = await readSettingsCache(cacheFile, key);
  if (cached !== undefined) return cached;
  const { loadSettings } = await import('../config/settings.js');
  const settings = await loadSettings(file);
  if (!changedJustNow(key.settings, Date.now())) await writeSettingsCache(cacheFile, key, settings);
  return settings;
}

/** The caller a plan is compiled for: this command run's facts and the user settings. */
export function callerOf(ctx: CommandContext, settings: Settings): Caller {
  return { cwd: ctx.cwd, homeDir: ctx.homeDir, hostUser: ctx.hostUser, env: ctx.env, settings };
}

/** Where devenv.yml is looked for in this command run (`-f`, `-C`, the working directory). */
export function locateOptions(ctx: CommandContext): LocateOptions {
  return { cwd: ctx.cwd, dir: ctx.args.globals.dir, file: ctx.args.globals.file, homeDir: ctx.homeDir };
}

/** Replaces the path `from` at the start of a diagnostic's file or a location with `to`. */
function swapFile(text: string, from: string, to: string): string {
  return text === from || text.startsWith(`${from}:`) ? `${to}${text.slice(from.length)}` : text;
}

/** A project loaded for a command: the project, its config file, the settings and devenv.yml's `runtime:`. */
export interface LoadedProject {
  project: Project;
  configFile: string;
  settings: Settings;
  configRuntime?: string | undefined;
  warnings: Diagnostic[];
}

/** The key of a found config as it is now, with its text; undefined when it cannot be read. */
async function keyOf(
  ctx: CommandContext,
  found: FoundConfig,
): Promise<{ key: PlanCacheKey; text: Buffer } | undefined> {
  try {
    const info = await stat(found.file);
    const text = await readFile(found.file);
    const key = await planCacheKey({
      configFile: found.file,
      text,
      info,
      settingsFile: settingsPath(ctx.env, ctx.homeDir),
      version: ctx.version,
      hostUser: ctx.hostUser,
      homeDir: ctx.homeDir,
      env: ctx.env,
    });
    return { key, text };
  } catch {
    return undefined; // the full load reports why
  }
}

/** The refs devenv.yml names as bases (`base:` and each stage's), for errors about those images. */
function namedBases(loaded: LoadedConfig): string[] {
  const config = loaded.config as { base?: unknown; stages?: Record<string, { base?: unknown }> };
  const bases = [config.base, ...Object.values(config.stages ?? {}).map((s) => s.base)];
  return bases.filter((b): b is string => typeof b === 'string');
}

/**
 * Gives `project` an inputs digest that survives across commands: kept in the cache entry with the
 * stat of everything it covered, recomputed when any of that changed.
 */
function rememberingInputs(
  project: Project,
  cacheFile: string,
  key: PlanCacheKey,
  entry: PlanCacheEntry,
): void {
  let current = entry;
  project.rememberInputs = async (compute) => {
    const known = current.inputs;
    if (known !== undefined && (await inputsUnchanged(project.plan, project.projectDir, known.entries)))
      return known.digest;
    const entries = await snapshotInputs(project.plan, project.projectDir, Date.now());
    const digest = await compute();
    if (entries !== undefined) {
      current = { ...current, inputs: { digest, entries } };
      await writePlanCache(cacheFile, key, current);
    }
    return digest;
  };
}

/** The project of a cache entry, as {@link fullLoad} would have made it. */
function projectOfEntry(
  ctx: CommandContext,
  entry: PlanCacheEntry,
  found: FoundConfig,
  text: Buffer,
): Project {
  const shown = shownPath(ctx.cwd, found.file);
  return {
    plan: entry.plan,
    projectDir: entry.projectDir,
    stateDir: envStateDir(ctx.env, ctx.homeDir, entry.plan.name),
    configText: text.toString('utf8'),
    locateImage: (ref) => {
      const where = entry.imageLines[ref];
      return where === undefined ? undefined : swapFile(where, found.file, shown);
    },
  };
}

/** Loads devenv.yml (yaml, zod, the rules) and the settings, and plans the project. */
async function fullLoad(ctx: CommandContext): Promise<LoadedProject & { loaded: LoadedConfig }> {
  const settings = await settingsOf(ctx);
  const [{ loadConfig }, { projectOf }] = await Promise.all([
    import('../config/load.js'),
    import('../engine/project.js'),
  ]);
  const loaded = await loadConfig(locateOptions(ctx));
  const project = await projectOf(loaded, callerOf(ctx, settings));
  return {
    loaded,
    project,
    configFile: loaded.file,
    settings,
    configRuntime: loaded.config.runtime,
    warnings: loaded.warnings,
  };
}

/**
 * The project of this command run: from the plan cache when its key matches, else by a full load
 * whose result is then stored. The warnings are the caller's to print.
 */
export async function loadCachedProject(ctx: CommandContext): Promise<LoadedProject> {
  const found = await findConfig(locateOptions(ctx));
  const keyed = found === undefined ? undefined : await keyOf(ctx, found);
  const cacheFile =
    found === undefined ? undefined : planCacheFile(planCacheDir(ctx.env, ctx.homeDir), found.file);
  if (found !== undefined && keyed !== undefined && cacheFile !== undefined) {
    const entry = await readPlanCache(cacheFile, keyed.key);
    if (entry !== undefined) {
      const shown = shownPath(ctx.cwd, found.file);
      const project = projectOfEntry(ctx, entry, found, keyed.text);
      rememberingInputs(project, cacheFile, keyed.key, entry);
      return {
        project,
        configFile: found.file,
        settings: entry.settings,
        configRuntime: entry.runtime,
        warnings: entry.warnings.map((d) =>
          d.file === undefined ? d : { ...d, file: swapFile(d.file, found.file, shown) },
        ),
      };
    }
  }
  // The full load's code (yaml, zod, the validators, the planner) stays out of the command's code cache.
  leaveHotPath();
  const full = await fullLoad(ctx);
  const { loaded, project } = full;
  // Stored only when the full load read the very bytes the key was made from (the file did not
  // change in between), and for the config the key names.
  if (
    keyed !== undefined &&
    cacheFile !== undefined &&
    loaded.file === keyed.key.configFile &&
    Buffer.from(loaded.text, 'utf8').equals(keyed.text) &&
    !changedJustNow(keyed.key.settings, Date.now())
  ) {
    const shown = shownPath(ctx.cwd, loaded.file);
    const { imageLocator } = await import('../config/locate-image.js');
    const locate = imageLocator(loaded.text, loaded.file, loaded.prefix);
    const imageLines: Record<string, string> = {};
    for (const ref of namedBases(loaded)) {
      const where = locate(ref);
      if (where !== undefined) imageLines[ref] = where;
    }
    const entry: PlanCacheEntry = {
      projectDir: loaded.projectDir,
      prefix: [...loaded.prefix],
      plan: project.plan,
      settings: full.settings,
      runtime: loaded.config.runtime,
      warnings: loaded.warnings.map((d) =>
        d.file === undefined ? d : { ...d, file: swapFile(d.file, shown, loaded.file) },
      ),
      imageLines,
    };
    await writePlanCache(cacheFile, keyed.key, entry);
    rememberingInputs(project, cacheFile, keyed.key, entry);
  }
  return full;
}
