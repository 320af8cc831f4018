/**
 * `devenv tui`: the full-screen view of every environment. The TUI is loaded with `import()`, so
 * no other command pays for Ink.
 */
import { UsageError } from '../errors.js';
import { runtimesToList } from '../runtime/factory.js';
import { stateHome } from '../util/paths.js';
import { defineCommand } from './command.js';
import { engineContext } from './engine-for-command.js';
import { runtimeHost, settingsOf } from './project.js';

export default defineCommand({
  name: 'tui',
  summary: 'Open the full-screen view of every environment',
  usage: '',
  options: {},
  async run(ctx) {
    const { stdout } = ctx.out.streams;
    if (ctx.stdin.isTTY !== true || stdout.isTTY !== true)
      throw new UsageError('devenv tui needs a terminal', 'run it in a terminal, or use devenv ls');
    const settings = await settingsOf(ctx);
    const runtimes = await runtimesToList(
      { flag: ctx.args.globals.runtime, settings: settings.runtime },
      runtimeHost(ctx, settings),
    );
    const { runTui } = await import('../ui/tui/index.js');
    return runTui({
      contexts: runtimes.map((runtime) => engineContext(ctx, runtime)),
      stdin: ctx.stdin,
      stdout,
      stateHome: stateHome(ctx.env, ctx.homeDir),
      signal: ctx.signal,
    });
  },
});
