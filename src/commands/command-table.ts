/**
 * The command table: each verb is loaded only when it runs. Its one-line summary is repeated here so
 * `devenv --help` loads no command module; a test keeps the two equal.
 */
import type { Command } from './command.js';

/** A verb: its `--help` line and how to load it. */
export interface CommandEntry {
  summary: string;
  load: () => Promise<{ default: Command }>;
}

/** Verbs in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  init: { summary: 'Write a commented devenv.yml from a template', load: () => import('./init.js') },
  validate: {
    summary: 'Check devenv.yml and report every problem with its position',
    load: () => import('./validate.js'),
  },
  plan: {
    summary: 'Print the generated Dockerfile and docker run arguments',
    load: () => import('./plan.js'),
  },
  export: {
    summary: 'Write a Dockerfile and run.sh that work with plain docker',
    load: () => import('./export.js'),
  },
  schema: { summary: 'Print the JSON schema of devenv.yml', load: () => import('./schema.js') },
  build: { summary: 'Build the image (layer cache; only what changed)', load: () => import('./build.js') },
  up: {
    summary: 'Build what changed, create or start the environment, and attach to it',
    load: () => import('./up.js'),
  },
  watch: {
    summary: 'Bring the environment up, then rebuild or recreate it when devenv.yml or a copied file changes',
    load: () => import('./watch.js'),
  },
  attach: {
    summary: 'Rejoin the main session (detach with ctrl-p ctrl-q)',
    load: () => import('./attach.js'),
  },
  shell: { summary: 'Open another shell in the environment', load: () => import('./shell.js') },
  exec: {
    summary: 'Run a command in the environment (exit status passes through)',
    load: () => import('./exec.js'),
  },
  run: {
    summary: 'Run a command in a throwaway container of this environment',
    load: () => import('./run.js'),
  },
  start: { summary: 'Start a stopped environment', load: () => import('./start.js') },
  stop: { summary: 'Stop the environment (its files stay)', load: () => import('./stop.js') },
  restart: { summary: 'Stop and start the environment', load: () => import('./restart.js') },
  rm: {
    summary: 'Remove the environment (named volumes and images stay unless --volumes)',
    load: () => import('./rm.js'),
  },
  ls: {
    summary: 'List environments (of every runtime, or of the one --runtime names)',
    load: () => import('./ls.js'),
  },
  status: { summary: 'Show the state of an environment', load: () => import('./status.js') },
  logs: { summary: 'Show the output of the main session', load: () => import('./logs.js') },
  images: { summary: 'List images', load: () => import('./images.js') },
  pull: { summary: 'Pull an image from a registry', load: () => import('./pull.js') },
  push: { summary: 'Push an image to a registry', load: () => import('./push.js') },
  tag: { summary: 'Give an image another name', load: () => import('./tag.js') },
  rmi: { summary: 'Remove images', load: () => import('./rmi.js') },
  prune: { summary: 'Remove unused images devenv made', load: () => import('./prune.js') },
  login: { summary: 'Log in to a registry (password on stdin)', load: () => import('./login.js') },
  save: {
    summary: 'Save the environment (image, state, volumes, config), or one image, to a tarball',
    load: () => import('./save.js'),
  },
  load: {
    summary: 'Restore an environment from a tarball made by devenv save',
    load: () => import('./load.js'),
  },
  move: {
    summary: 'Move an environment to another runtime on this machine (docker, embedded, podman)',
    load: () => import('./move.js'),
  },
  storage: {
    summary: "Move the embedded runtime's store: storage move DIR",
    load: () => import('./storage.js'),
  },
  doctor: {
    summary: 'Check what this host supports and whether the embedded store is consistent',
    load: () => import('./doctor.js'),
  },
  tui: {
    summary: 'Open the full-screen view of every environment (also: devenv alone on a terminal)',
    load: () => import('./tui.js'),
  },
};

/** Loads the command named `name`, or undefined for an unknown verb. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return entry === undefined ? undefined : (await entry.load()).default;
}
