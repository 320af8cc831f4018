/**
 * The CLI core: argv → command → exit status. All ambient facts come in through {@link MainInput};
 * the one place that turns errors into exit codes and messages.
 */
import { ConfigError } from './config/diagnostic.js';
import { exitStatusOf, isDevenvError, UsageError } from './errors.js';
import { hostFsError } from './util/fs-problem.js';
import { interruption, InterruptedError } from './util/interrupt.js';
import { PlainOutput, wantsColor } from './ui/plain/output.js';
import type { OutputStreams } from './ui/plain/output.js';
import { findCommand, parseCommandLine } from './commands/args.js';
import type { Surroundings } from './commands/command.js';
import { commandHelp, mainHelp } from './commands/help.js';
import { COMMANDS, loadCommand } from './commands/command-table.js';
import { suggest } from './config/suggest.js';
import { closeReporter, lineModeOf, resolveProgress } from './ui/progress/reporter.js';

/** Everything the CLI reads from its surroundings: the command line, the facts and the output streams. */
export interface MainInput extends Surroundings, OutputStreams {
  argv: readonly string[];
}

/** Runs one command line and returns the exit status; never throws. */
export async function main(input: MainInput): Promise<number> {
  const { argv, stdout, stderr } = input;
  const out = new PlainOutput({ stdout, stderr }, wantsColor(stderr, input.env));
  let json = argv.includes('--json');
  let failureStatus: number | undefined;
  try {
    // Plain `devenv` on a terminal opens the TUI; without one (a pipe, a script) it prints help.
    const opensTui = argv.length === 0 && input.stdin.isTTY === true && stdout.isTTY === true;
    const found = opensTui ? { name: 'tui' } : findCommand(argv);
    const command = found === undefined ? undefined : await loadCommand(found.name);
    if (found !== undefined && command === undefined) {
      const guess = suggest(found.name, Object.keys(COMMANDS));
      throw new UsageError(
        `unknown command "${found.name}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
        'run "devenv --help" for the list of commands',
      );
    }
    if (command === undefined) {
      const globals = parseCommandLine(argv, {}).globals;
      json = globals.json;
      if (globals.version) {
        out.result(input.version);
        return 0;
      }
      if (!globals.help && argv.length > 0) {
        throw new UsageError('no command given', 'run "devenv --help" for the list of commands');
      }
      out.result(mainHelp(input.version));
      return 0;
    }
    failureStatus = command.failureStatus;
    const args = parseCommandLine(argv, command.options);
    json = args.globals.json;
    out.lineMode = lineModeOf(resolveProgress(args.globals.progress, stderr, input.env));
    if (args.globals.help) {
      out.result(commandHelp(command));
      return 0;
    }
    return await command.run(extended(input, { out, args }));
  } catch (error) {
    // Whatever an interrupted call threw (a killed child's status, a closed pipe), the cause is the
    // interruption; reporting it as that is the one short line the user expects after ctrl-c.
    const reported = input.signal.aborted ? interruption(input.signal) : (hostFsError(error) ?? error);
    report(reported, out, json, input.env);
    return exitStatusOf(reported, failureStatus);
  } finally {
    closeReporter(out);
  }
}

/** `base` with `extra` added, its accessors kept as accessors (cli.ts's stdin is made on first read). */
function extended<T extends object, U extends object>(base: T, extra: U): T & U {
  return Object.defineProperties(
    Object.defineProperties({}, Object.getOwnPropertyDescriptors(base)),
    Object.getOwnPropertyDescriptors(extra),
  ) as T & U;
}

/** Prints `error` for the user: a DevenvError as its message and hint, anything else as a bug. */
function report(
  error: unknown,
  out: PlainOutput,
  json: boolean,
  env: Readonly<Record<string, string | undefined>>,
): void {
  if (error instanceof InterruptedError) {
    out.info(error.message);
    if (json) out.json({ outcome: 'error', code: error.code, message: error.message });
    return;
  }
  if (isDevenvError(error)) {
    if (error instanceof ConfigError) {
      out.diagnostics(error.diagnostics);
      const errors = error.diagnostics
        .filter((d) => d.severity === 'error')
        .reduce((sum, d) => sum + 1 + (d.repeats ?? 0), 0);
      out.error(`${errors} problem${errors === 1 ? '' : 's'} found; nothing was changed`);
    } else {
      out.error(error.message, error.hint);
    }
    if (json) {
      out.json({
        outcome: 'error',
        code: error.code,
        message: error.message,
        hint: error.hint,
        diagnostics: error instanceof ConfigError ? error.diagnostics : undefined,
      });
    }
    return;
  }
  const detail = error instanceof Error ? error : new Error(String(error));
  out.error(
    `devenv hit a bug: ${detail.message}`,
    env['DEVENV_DEBUG'] === '1'
      ? undefined
      : 'run again with DEVENV_DEBUG=1 for the stack trace, and please report it',
  );
  if (env['DEVENV_DEBUG'] === '1' && detail.stack !== undefined) out.info(detail.stack);
  if (json) out.json({ outcome: 'error', code: 'DEVENV_BUG', message: detail.message });
}
