/** `devenv prune`: remove images devenv made that nothing uses any more. */
import { defineCommand } from './command.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'prune',
  summary: 'Remove unused images devenv made',
  usage: '',
  options: {},
  async run(ctx) {
    const result = await (await openRuntime(ctx)).runtime.pruneImages();
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', ...result });
    else
      ctx.out.info(
        `removed ${result.removed.length} image${result.removed.length === 1 ? '' : 's'}, reclaimed ${(result.reclaimedBytes / 1e6).toFixed(1)} MB`,
      );
    return 0;
  },
});
