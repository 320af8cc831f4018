/**
 * Builds the engine's context for a command: the runtime, the run's progress reporter (`--progress`),
 * the terminal and a prompt.
 */
import type { Writable } from 'node:stream';
import type { EngineContext } from '../engine/engine-context.js';
import type { Runtime } from '../runtime/runtime.js';
import { reporterFor, resolveProgress } from '../ui/progress/reporter.js';
import { interruption, InterruptedError } from '../util/interrupt.js';
import { stateHome } from '../util/paths.js';
import type { CommandContext } from './command.js';

/**
 * Asks a yes/no question on the terminal. readline holds the terminal in raw mode while it reads, so
 * ctrl-c arrives as a key, not a signal: it interrupts like the signal would (exit 130, cleanups
 * run). End of input (ctrl-d) answers no. readline is loaded here, not with the command: most runs
 * never ask.
 */
async function ask(ctx: CommandContext, stderr: Writable, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: ctx.stdin, output: stderr });
  const cancel = new AbortController();
  const onAbort = (): void => {
    cancel.abort(interruption(ctx.signal));
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  rl.on('SIGINT', () => {
    stderr.write('\n');
    cancel.abort(new InterruptedError('SIGINT'));
  });
  const closed = new Promise<string>((resolve) => {
    rl.once('close', () => {
      resolve('');
    });
  });
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `, { signal: cancel.signal }), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    throw cancel.signal.aborted ? (cancel.signal.reason as InterruptedError) : error;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    rl.close();
  }
}

/** The engine context of this command run. */
export function engineContext(ctx: CommandContext, runtime: Runtime): EngineContext {
  const { stdout, stderr } = ctx.out.streams;
  // stdout first: reading stdin makes its stream (cli.ts), which a run with output to a pipe or a
  // file never needs for this.
  const interactive = stdout.isTTY === true && ctx.stdin.isTTY === true;
  return {
    runtime,
    onEvent: reporterFor(ctx.out, resolveProgress(ctx.args.globals.progress, stderr, ctx.env), Date.now)
      .onEvent,
    env: ctx.env,
    stdio: {
      get stdin() {
        return ctx.stdin;
      },
      stdinFd: ctx.stdinFd,
      stdout,
      stderr,
    },
    interactive,
    stateHome: stateHome(ctx.env, ctx.homeDir),
    signal: ctx.signal,
    confirm: (question) => (interactive ? ask(ctx, stderr, question) : Promise.resolve(false)),
  };
}
