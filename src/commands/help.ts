/** `--help` texts for the whole CLI and for each command. */
import type { OptionTable } from './args.js';
import { GLOBAL_OPTIONS } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './command-table.js';

function optionLines(table: OptionTable): string[] {
  return Object.entries(table).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${spec.description}`;
  });
}

/** The overview printed by `devenv --help`. */
export function mainHelp(version: string): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return [
    `devenv ${version}: declarative development environments`,
    '',
    'Usage: devenv [options] <command> [args]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run "devenv <command> --help" for the options of a command.',
  ].join('\n');
}

/** The help of one command. */
export function commandHelp(command: Command): string {
  const own = optionLines(command.options);
  return [
    `Usage: devenv ${command.name}${command.usage === '' ? '' : ` ${command.usage}`}`,
    '',
    command.summary,
    ...(own.length > 0 ? ['', 'Options:', ...own] : []),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
  ].join('\n');
}
