/** `devenv push REF`: send an image to its registry. */
import { defineCommand } from './command.js';
import { singleReference } from './image-args.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'push',
  summary: 'Push an image to a registry',
  usage: 'REF',
  options: {},
  async run(ctx) {
    const ref = singleReference(
      ctx.args,
      'push',
      'tag it first: devenv tag devenv/myenv registry.example.com/team/myenv:1',
    );
    const engine = await openRuntime(ctx);
    await engine.runtime.pushImage(ref, engine.onEvent);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', ref });
    else ctx.out.info(`pushed ${ref}`);
    return 0;
  },
});
