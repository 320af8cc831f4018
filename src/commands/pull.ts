/** `devenv pull REF`: fetch an image from a registry. */
import { checkImageReference } from '../config/values.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './context.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'pull',
  summary: 'Pull an image from a registry',
  usage: 'REF',
  options: {},
  async run(ctx) {
    const ref = ctx.args.positionals[0];
    if (ref === undefined || ctx.args.positionals.length > 1)
      throw new UsageError('pull takes one image reference', 'example: devenv pull ubuntu:24.04');
    const problem = checkImageReference(ref);
    if (problem !== undefined) throw new UsageError(`${ref}: ${problem}`);
    const engine = await openRuntime(ctx);
    const image = await engine.runtime.pullImage(ref, engine.onEvent);
    if (ctx.args.globals.json)
      ctx.out.json({ outcome: 'success', ref, id: image.id, digests: image.repoDigests });
    else ctx.out.info(`pulled ${ref} (${image.id.slice(7, 19)})`);
    return 0;
  },
});
