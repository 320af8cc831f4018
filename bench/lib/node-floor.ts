import type { BenchContext } from './types.js';

/** The start and exit of a Node process that does nothing: what no Node CLI can beat. */
export const NODE_FLOOR = { name: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] } as const;

/**
 * `devenv --version`: the launcher, the CLI's build and its code cache loaded, and no work. What a
 * no-op `up -d` costs over it is the no-op's own (its reads, checks and the code they run); what
 * this costs over `node -e 0` is the price of starting devenv at all on the machine.
 */
export function devenvStart(ctx: BenchContext): { name: string; argv: string[] } {
  return { name: 'devenv --version (its start)', argv: [process.execPath, ctx.cli, '--version'] };
}
