/**
 * Command-line parsing on node's util.parseArgs: global options anywhere before `--`, each command's
 * own options, positionals, and everything after `--` kept apart for `exec` and `run`.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

/** One option of a command. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** Shown in `--help`; `VALUE` names the argument of a string option. */
  description: string;
  value?: string;
}

export type OptionTable = Record<string, OptionSpec>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  dir: { type: 'string', short: 'C', value: 'DIR', description: 'Run as if started in DIR' },
  file: {
    type: 'string',
    short: 'f',
    value: 'FILE',
    description: 'Use FILE instead of searching for devenv.yml',
  },
  runtime: { type: 'string', value: 'R', description: 'Runtime: auto, embedded, docker or podman' },
  root: { type: 'string', value: 'DIR', description: 'Store of the embedded runtime' },
  context: { type: 'string', value: 'NAME', description: 'Docker context to use (like docker --context)' },
  json: { type: 'boolean', description: 'Print one JSON document on stdout' },
  progress: {
    type: 'string',
    value: 'MODE',
    description: 'Progress on stderr: auto, tty, plain, json or quiet',
  },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
  version: { type: 'boolean', description: 'Show the version' },
} as const satisfies OptionTable;

/** Values of the global options. */
export interface GlobalOptions {
  dir?: string | undefined;
  file?: string | undefined;
  runtime?: string | undefined;
  root?: string | undefined;
  context?: string | undefined;
  json: boolean;
  /** `--progress` as given; checked where the reporter is chosen. */
  progress?: string | undefined;
  help: boolean;
  version: boolean;
}

/** The result of parsing one command line. */
export interface ParsedArgs {
  command: string | undefined;
  globals: GlobalOptions;
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after `--`, or undefined when there was no `--`. */
  rest: string[] | undefined;
}

function takesValue(table: OptionTable, token: string): boolean {
  if (!token.startsWith('-') || token.includes('=')) return false;
  const name = token.startsWith('--') ? token.slice(2) : token.slice(1);
  const spec = token.startsWith('--') ? table[name] : Object.values(table).find((o) => o.short === name);
  return spec?.type === 'string';
}

/** Finds the command word: the first argument that is neither a global option nor its value. */
export function findCommand(argv: readonly string[]): { index: number; name: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') return undefined;
    if (!token.startsWith('-') || token === '-') return { index: i, name: token };
    if (takesValue(GLOBAL_OPTIONS, token)) i++;
  }
  return undefined;
}

function runParse(args: string[], table: OptionTable, command: string | undefined) {
  try {
    return parseArgs({ args, options: table, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    const message =
      error instanceof Error
        ? error.message.replace(/^Unknown option '([^']+)'.*$/s, 'unknown option $1')
        : String(error);
    throw new UsageError(
      message.split('\n')[0] ?? message,
      `run "devenv ${command === undefined ? '' : `${command} `}--help" for the options`,
    );
  }
}

/**
 * Parses argv (without the node and script paths). Global options may come before the command or
 * after it; after it, a command's own short option wins over a global one (`rm -f` is force, while
 * `devenv -f FILE rm` names the file). Throws {@link UsageError} for unknown options or missing values.
 */
export function parseCommandLine(argv: readonly string[], commandOptions: OptionTable = {}): ParsedArgs {
  const found = findCommand(argv);
  const before = found === undefined ? [...argv] : argv.slice(0, found.index);
  const after = found === undefined ? [] : argv.slice(found.index + 1);
  const shorts = new Set(Object.values(commandOptions).map((o) => o.short));
  const globalsAfter: OptionTable = {};
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS as OptionTable)) {
    const longOnly: OptionSpec = { ...spec };
    if (spec.short !== undefined && shorts.has(spec.short)) delete longOnly.short;
    globalsAfter[name] = longOnly;
  }
  const head = runParse(before, GLOBAL_OPTIONS, found?.name);
  const tail = runParse(after, { ...globalsAfter, ...commandOptions }, found?.name);
  const terminator = tail.tokens.find((t) => t.kind === 'option-terminator');
  const positionals: string[] = [];
  const rest: string[] = [];
  for (const token of tail.tokens) {
    if (token.kind !== 'positional') continue;
    if (terminator !== undefined && token.index > terminator.index) rest.push(token.value);
    else positionals.push(token.value);
  }
  const values = {
    ...(head.values as Record<string, string | boolean | string[] | undefined>),
    ...(tail.values as Record<string, string | boolean | string[] | undefined>),
  };
  const str = (key: string) => (typeof values[key] === 'string' ? values[key] : undefined);
  return {
    command: found?.name,
    globals: {
      dir: str('dir'),
      file: str('file'),
      runtime: str('runtime'),
      root: str('root'),
      context: str('context'),
      json: values['json'] === true,
      progress: str('progress'),
      help: values['help'] === true,
      version: values['version'] === true,
    },
    options: values,
    positionals: found === undefined ? head.positionals : positionals,
    rest: terminator === undefined ? undefined : rest,
  };
}
