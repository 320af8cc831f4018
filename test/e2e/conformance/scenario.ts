/**
 * What the conformance scenarios share: a project on the runtime's base, commands that must succeed,
 * the environment's state read through `status --json`, edits to devenv.yml, polling instead of
 * sleeping, and terminals (tmux) whose names cannot clash with another run on the same machine.
 * Everything goes through the CLI, so a scenario reads the same on every runtime.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import type { CliOptions } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import type { Tree } from '../../helpers/project.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { waitFor } from '../../helpers/wait-for.js';
import type { RuntimeUnderTest, RuntimeUser } from './runtimes.js';

/**
 * An environment name unique to this runtime and scenario: every file's scenarios share one engine
 * per runtime (Docker's container names are global), so `what` must be unique across the suite.
 */
export function envName(runtime: RuntimeUnderTest, what: string): string {
  return `conf-${runtime.name}-${what}`;
}

/** A project named `name` on the runtime's base with no network, `lines` appended to devenv.yml. */
export function projectOn(
  runtime: RuntimeUnderTest,
  name: string,
  lines: readonly string[] = [],
  files: Tree = {},
): string {
  return makeProject({
    'devenv.yml': [`name: ${name}`, `base: ${runtime.base}`, 'network: none', ...lines, ''].join('\n'),
    ...files,
  });
}

/** Runs devenv and expects exit status 0; returns its stdout. */
export async function ok(
  user: RuntimeUser,
  dir: string,
  args: readonly string[],
  options: Omit<CliOptions, 'cwd' | 'env'> = {},
): Promise<string> {
  const result = await user.run(dir, args, options);
  expect(result.exitCode, `devenv ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** What `status --json` says of the project's environment. */
export interface StatusReport {
  name: string;
  state: string;
  created?: string;
  drift?: string;
  project?: string;
  mounts?: { source: string; target: string; type: string }[];
}

export async function statusOf(user: RuntimeUser, dir: string): Promise<StatusReport> {
  return JSON.parse(await ok(user, dir, ['status', '--json'])) as StatusReport;
}

/**
 * What `ls --json` lists. Other scenarios' environments may be in it too (Docker lists the whole
 * engine's), so look for yours by name or project.
 */
export async function listed(
  user: RuntimeUser,
  dir: string,
): Promise<{ name: string; state: string; project?: string }[]> {
  return JSON.parse(await ok(user, dir, ['ls', '--json'])) as {
    name: string;
    state: string;
    project?: string;
  }[];
}

/** Replaces `from` with `to` in the project's devenv.yml; `from` must be there. */
export function editConfig(dir: string, from: string, to: string): void {
  const file = path.join(dir, 'devenv.yml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

/** Appends lines to the project's devenv.yml. */
export function appendConfig(dir: string, ...lines: string[]): void {
  const file = path.join(dir, 'devenv.yml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}${lines.join('\n')}\n`);
}

/** Polls until the environment is in `state`; generous, because the machine may be busy. */
export async function untilState(user: RuntimeUser, dir: string, state: string): Promise<void> {
  await waitFor(async () => (await statusOf(user, dir)).state === state, `state ${state}`, 180_000);
}

/** Terminals the scenarios opened, killed by {@link closeTerminals} in `afterAll`. */
const terminals: TmuxSession[] = [];

/**
 * Runs `devenv ARGS` as `user` in a real 120×40 terminal (tmux). The session name carries this
 * process's pid: the tmux server is shared by everything else running as this user. With `pidFile`,
 * the CLI's pid is written there first (a shell that then becomes the CLI), so a test can kill it.
 */
export async function terminal(
  label: string,
  user: RuntimeUser,
  dir: string,
  args: readonly string[],
  pidFile?: string,
): Promise<TmuxSession> {
  const cli = ['node', CLI, ...user.globals, ...args].map((a) => `'${a}'`).join(' ');
  const command = pidFile === undefined ? cli : `sh -c "echo \\$\\$ > '${pidFile}'; exec ${cli}"`;
  const session = await TmuxSession.start(`conf-${process.pid}-${label}`, command, {
    cwd: dir,
    env: { NO_COLOR: '1', ...user.env },
  });
  terminals.push(session);
  return session;
}

export async function closeTerminals(): Promise<void> {
  for (const session of terminals.splice(0)) await session.kill();
}

/** The shell prompt of the busybox base, at the end of a line. */
export const PROMPT = /[/~] # ?$/m;
