/** `devenv stop [NAME] [-t S]`: stop the environment; its files stay for the next start. */
import { stopEnvironment } from '../engine/lifecycle.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'stop',
  summary: 'Stop the environment (its files stay)',
  usage: '[NAME] [-t SECONDS]',
  options: {
    time: {
      type: 'string',
      short: 't',
      value: 'S',
      description: 'Seconds to wait before killing (default 10)',
    },
  },
  async run(ctx) {
    const raw = ctx.args.options['time'];
    const seconds = typeof raw === 'string' ? Number(raw) : undefined;
    if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0))
      throw new UsageError(`-t takes a whole number of seconds, not "${String(raw)}"`);
    const { name, engine } = await openTarget(ctx);
    await stopEnvironment(engine, name, seconds);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', name, state: 'exited' });
    else ctx.out.info(`${name} stopped`);
    return 0;
  },
});
