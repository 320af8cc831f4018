/** `devenv tag SRC DST`: give an image another name. */
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { checkedReference } from './image-args.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'tag',
  summary: 'Give an image another name',
  usage: 'SOURCE TARGET',
  options: {},
  async run(ctx) {
    const [source, target, extra] = ctx.args.positionals;
    if (source === undefined || target === undefined || extra !== undefined)
      throw new UsageError('tag takes a source and a target reference');
    checkedReference(target);
    await (await openRuntime(ctx)).runtime.tagImage(source, target);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', source, target });
    else ctx.out.info(`tagged ${source} as ${target}`);
    return 0;
  },
});
