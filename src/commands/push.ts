/** `devenv push REF`: send an image to its registry. */
import { checkImageReference } from '../config/values.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './context.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'push',
  summary: 'Push an image to a registry',
  usage: 'REF',
  options: {},
  async run(ctx) {
    const ref = ctx.args.positionals[0];
    if (ref === undefined || ctx.args.positionals.length > 1)
      throw new UsageError(
        'push takes one image reference',
        'tag it first: devenv tag devenv/myenv registry.example.com/team/myenv:1',
      );
    const problem = checkImageReference(ref);
    if (problem !== undefined) throw new UsageError(`${ref}: ${problem}`);
    const engine = await openRuntime(ctx);
    await engine.runtime.pushImage(ref, engine.onEvent);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', ref });
    else ctx.out.info(`pushed ${ref}`);
    return 0;
  },
});
