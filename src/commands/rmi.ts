/** `devenv rmi REF…`: remove image references (and images nothing else uses). */
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'rmi',
  summary: 'Remove images',
  usage: 'REF... [-f]',
  options: { force: { type: 'boolean', short: 'f', description: 'Remove even if a container uses it' } },
  async run(ctx) {
    if (ctx.args.positionals.length === 0) throw new UsageError('rmi takes at least one image reference');
    const engine = await openRuntime(ctx);
    const removed: string[] = [];
    for (const ref of ctx.args.positionals)
      removed.push(...(await engine.runtime.removeImage(ref, { force: ctx.args.options['force'] === true })));
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', removed });
    else for (const line of removed) ctx.out.info(line);
    return 0;
  },
});
