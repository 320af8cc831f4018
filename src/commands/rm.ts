/** `devenv rm [NAME] [-f] [--volumes]`: remove the container (and, with --volumes, its named volumes). */
import { removeEnvironment } from '../engine/lifecycle.js';
import { defineCommand } from './context.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'rm',
  summary: 'Remove the environment (named volumes stay unless --volumes)',
  usage: '[NAME] [-f] [--volumes]',
  options: {
    force: { type: 'boolean', short: 'f', description: 'Remove it even while it runs' },
    volumes: { type: 'boolean', description: 'Also remove its named volumes and state' },
  },
  async run(ctx) {
    const { name, engine } = await openTarget(ctx);
    const result = await removeEnvironment(engine, name, {
      force: ctx.args.options['force'] === true,
      volumes: ctx.args.options['volumes'] === true,
      stateHome: engine.stateHome,
    });
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', name, removedVolumes: result.volumes });
    else
      ctx.out.info(
        `removed ${name}${result.volumes.length > 0 ? ` and volumes ${result.volumes.join(', ')}` : ''}`,
      );
    return 0;
  },
});
