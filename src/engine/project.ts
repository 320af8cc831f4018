/**
 * From a checked devenv.yml to the {@link Project} the use cases work on: the plan compiled for this
 * caller and machine, the environment's state folder, and what errors about its images point at.
 */
import type { LoadedConfig } from '../config/load.js';
import { imageLocator } from '../config/locate-image.js';
import type { Settings } from '../config/settings.js';
import type { ResolvedConfig } from '../config/validate.js';
import { compilePlan } from '../plan/compile-plan.js';
import type { ImageUser, Plan } from '../plan/types.js';
import { envStateDir } from '../util/paths.js';
import { shownPath } from '../util/shown-path.js';
import { loadFragments } from '../config/templates.js';
import type { Project } from './image.js';

/** The caller and machine a plan is compiled for. */
export interface Caller {
  /** Where relative paths on the command line start; diagnostics show paths relative to it. */
  cwd: string;
  homeDir: string;
  /** Who runs devenv, for `user: host`. */
  hostUser: ImageUser;
  /** The caller's environment (proxy values, DISPLAY, XDG folders). */
  env: Readonly<Record<string, string | undefined>>;
  /** The user settings (proxy, dns). */
  settings: Settings;
}

/** Where a config lives: its project folder and the devenv.yml it was read from (or will be written to). */
export interface ConfigPlace {
  projectDir: string;
  configFile: string;
}

/** The state folder of the environment `name`: host files such as the secret env file live there. */
export function stateDirOf(caller: Caller, name: string): string {
  return envStateDir(caller.env, caller.homeDir, name);
}

/** Compiles the plan of `config` for `caller`; `stateDir` overrides the environment's state folder. */
export async function planFor(
  config: ResolvedConfig,
  place: ConfigPlace,
  caller: Caller,
  stateDir?: string,
): Promise<Plan> {
  return compilePlan(config, {
    ...place,
    homeDir: caller.homeDir,
    hostUser: caller.hostUser,
    env: caller.env,
    stateDir: stateDir ?? stateDirOf(caller, config.name),
    fragments: await loadFragments(),
    settings: caller.settings,
  });
}

/** The project of a loaded devenv.yml: its plan, folders and text, and where its images are named. */
export async function projectOf(loaded: LoadedConfig, caller: Caller): Promise<Project> {
  const plan = await planFor(
    loaded.config,
    { projectDir: loaded.projectDir, configFile: loaded.file },
    caller,
  );
  return {
    plan,
    projectDir: loaded.projectDir,
    stateDir: stateDirOf(caller, plan.name),
    configText: loaded.text,
    locateImage: imageLocator(loaded.text, shownPath(caller.cwd, loaded.file), loaded.prefix),
  };
}
