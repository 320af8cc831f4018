/** Builds the engine's context for a command: the runtime, the plain reporter, the terminal and a prompt. */
import { createInterface } from 'node:readline/promises';
import type { EngineContext } from '../engine/context.js';
import type { Runtime } from '../runtime/runtime.js';
import { plainReporter } from '../ui/plain/reporter.js';
import { stateHome } from '../util/paths.js';
import type { CommandContext } from './context.js';

/** The engine context of this command run. */
export function engineContext(ctx: CommandContext, runtime: Runtime): EngineContext {
  const { stdout, stderr } = ctx.out.streams;
  const interactive = ctx.stdin.isTTY === true && stdout.isTTY === true;
  return {
    runtime,
    onEvent: plainReporter(ctx.out),
    env: ctx.env,
    stdio: { stdin: ctx.stdin, stdout, stderr },
    interactive,
    stateHome: stateHome(ctx.env, ctx.homeDir),
    confirm: async (question) => {
      if (!interactive) return false;
      const rl = createInterface({ input: ctx.stdin, output: stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  };
}
