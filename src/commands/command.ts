/** What a command is and what it receives from main.ts. */
import type { Readable } from 'node:stream';
import type { ImageUser } from '../plan/types.js';
import type { PlainOutput } from '../ui/plain/output.js';
import type { OptionTable, ParsedArgs } from './args.js';

/**
 * The facts cli.ts reads once from the process and hands down, so nothing below it reads globals and
 * tests pass small objects instead.
 */
export interface Surroundings {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** The caller, for `user: host`. */
  hostUser: ImageUser;
  /** Node's `process.arch`: which image of a multi-platform index to pull. */
  arch: string;
  /** Node's `process.platform`, for `doctor`. */
  platform: string;
  /** Read it only when a stream is wanted: cli.ts makes it on first read (see `stdinFd`). */
  stdin: Readable & { isTTY?: boolean };
  /** 0 when `stdin` is the process's own: runtime.ts's `Stdio.stdinFd`. */
  stdinFd?: number | undefined;
  version: string;
  /**
   * Aborted when the user interrupts (cli.ts turns SIGINT, SIGTERM and SIGHUP into it): long-running
   * work takes it and stops, cleanups still run.
   */
  signal: AbortSignal;
}

/** What every command receives: the surroundings, where its output goes and its parsed arguments. */
export interface CommandContext extends Surroundings {
  out: PlainOutput;
  args: ParsedArgs;
}

/** One verb of the CLI. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Arguments after the verb, for `--help`. */
  usage: string;
  options: OptionTable;
  /**
   * Exit status for devenv's own failures (default 1). Commands whose status is the container
   * command's (exec, run, shell) say 125, as docker does, so a script can tell the two apart.
   */
  failureStatus?: number;
  /** Runs the command and returns the exit status. */
  run: (ctx: CommandContext) => Promise<number>;
}

/** Identity helper that checks a command's shape. */
export function defineCommand(command: Command): Command {
  return command;
}
