/** The command table: each verb is loaded only when it runs, so `devenv --help` stays fast. */
import type { Command } from './context.js';

type Loader = () => Promise<{ default: Command }>;

/** Verbs in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  init: () => import('./init.js'),
  validate: () => import('./validate.js'),
  plan: () => import('./plan.js'),
  export: () => import('./export.js'),
  schema: () => import('./schema.js'),
};

/** Loads the command named `name`, or undefined for an unknown verb. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return loader === undefined ? undefined : (await loader()).default;
}
