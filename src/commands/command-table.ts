/** The command table: each verb is loaded only when it runs, so `devenv --help` stays fast. */
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

/** Verbs in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  init: () => import('./init.js'),
  validate: () => import('./validate.js'),
  plan: () => import('./plan.js'),
  export: () => import('./export.js'),
  schema: () => import('./schema.js'),
  build: () => import('./build.js'),
  up: () => import('./up.js'),
  attach: () => import('./attach.js'),
  shell: () => import('./shell.js'),
  exec: () => import('./exec.js'),
  run: () => import('./run.js'),
  start: () => import('./start.js'),
  stop: () => import('./stop.js'),
  restart: () => import('./restart.js'),
  rm: () => import('./rm.js'),
  ls: () => import('./ls.js'),
  status: () => import('./status.js'),
  logs: () => import('./logs.js'),
  images: () => import('./images.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  tag: () => import('./tag.js'),
  rmi: () => import('./rmi.js'),
  prune: () => import('./prune.js'),
  login: () => import('./login.js'),
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  move: () => import('./move.js'),
  storage: () => import('./storage.js'),
  doctor: () => import('./doctor.js'),
  tui: () => import('./tui.js'),
};

/** Loads the command named `name`, or undefined for an unknown verb. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return loader === undefined ? undefined : (await loader()).default;
}
