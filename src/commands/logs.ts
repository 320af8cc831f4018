/** `devenv logs [NAME] [-f] [--tail N]`: the output of the main session. */
import { requireContainer } from '../engine/session.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'logs',
  summary: 'Show the output of the main session',
  usage: '[NAME] [-f] [--tail N]',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new output' },
    tail: { type: 'string', value: 'N', description: 'Only the last N lines' },
  },
  async run(ctx) {
    const raw = ctx.args.options['tail'];
    const tail = typeof raw === 'string' ? Number(raw) : undefined;
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0))
      throw new UsageError(`--tail takes a whole number, not "${String(raw)}"`);
    const { name, engine } = await openTarget(ctx);
    await requireContainer(engine, name);
    await engine.runtime.logs(
      name,
      { follow: ctx.args.options['follow'] === true, tail },
      ctx.out.streams.stdout,
    );
    return 0;
  },
});
