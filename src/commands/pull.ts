/** `devenv pull REF`: fetch an image from a registry. */
import { defineCommand } from './command.js';
import { singleReference } from './image-args.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'pull',
  summary: 'Pull an image from a registry',
  usage: 'REF',
  options: {},
  async run(ctx) {
    const ref = singleReference(ctx.args, 'pull', 'example: devenv pull ubuntu:24.04');
    const engine = await openRuntime(ctx);
    const image = await engine.runtime.pullImage(ref, engine.onEvent);
    if (ctx.args.globals.json)
      ctx.out.json({ outcome: 'success', ref, id: image.id, digests: image.repoDigests });
    else ctx.out.info(`pulled ${ref} (${image.id.slice(7, 19)})`);
    return 0;
  },
});
