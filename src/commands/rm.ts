/**
 * `devenv rm [NAME] [-f] [--volumes]`: remove the container; with --volumes also its named volumes,
 * images and state, found by their labels even when the container is already gone. Nothing at all
 * to remove is an error (exit 1), with or without -f.
 */
import { removeEnvironment } from '../engine/remove.js';
import type { RemoveResult } from '../engine/remove.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

function summary(name: string, result: RemoveResult): string {
  const parts = [
    ...(result.container ? ['its container'] : []),
    ...(result.volumes.length > 0 ? [`volumes ${result.volumes.join(', ')}`] : []),
    ...(result.images.length > 0 ? [`images ${result.images.join(', ')}`] : []),
    ...(result.stateFolder ? ['its state folder'] : []),
  ];
  return `removed ${name}: ${parts.join(', ')}`;
}

export default defineCommand({
  name: 'rm',
  summary: 'Remove the environment (named volumes and images stay unless --volumes)',
  usage: '[NAME] [-f] [--volumes]',
  options: {
    force: { type: 'boolean', short: 'f', description: 'Remove it even while it runs' },
    volumes: { type: 'boolean', description: 'Also remove its named volumes, images and state' },
  },
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const knownVolumes = session?.project.plan.run.mounts.flatMap((m) =>
      m.type === 'volume' ? [m.name] : [],
    );
    const result = await removeEnvironment(engine, name, {
      force: ctx.args.options['force'] === true,
      volumes: ctx.args.options['volumes'] === true,
      knownVolumes,
    });
    if (ctx.args.globals.json)
      ctx.out.json({
        outcome: 'success',
        name,
        removedContainer: result.container,
        removedVolumes: result.volumes,
        removedImages: result.images,
      });
    else ctx.out.info(summary(name, result));
    return 0;
  },
});
