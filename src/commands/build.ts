/** `devenv build`: build the environment's image, reusing the layer cache. */
import { buildEnvironmentImage } from '../engine/image.js';
import { defineCommand } from './command.js';
import { openProject } from './project.js';

export default defineCommand({
  name: 'build',
  summary: 'Build the image (layer cache; only what changed)',
  usage: '[--no-cache] [--pull] [--squash]',
  options: {
    'no-cache': { type: 'boolean', description: 'Rebuild every layer' },
    pull: { type: 'boolean', description: 'Pull a newer base image first' },
    squash: { type: 'boolean', description: 'Squash the layers devenv adds into one' },
  },
  async run(ctx) {
    const { project, engine } = await openProject(ctx);
    const o = ctx.args.options;
    const { image, built } = await buildEnvironmentImage(engine, project, {
      noCache: o['no-cache'] === true,
      pull: o['pull'] === true,
      squash: o['squash'] === true,
      // Like up: unchanged inputs mean nothing to build (a loaded image stays as it came). --squash
      // asks for a different image than the one there, so it builds, as --no-cache and --pull do.
      force: o['squash'] === true,
    });
    if (ctx.args.globals.json)
      ctx.out.json({
        outcome: 'success',
        name: project.plan.name,
        image: image.id,
        tag: project.plan.image.tag,
        built,
      });
    else
      ctx.out.info(`${built ? 'built' : 'up to date:'} ${project.plan.image.tag} (${image.id.slice(7, 19)})`);
    return 0;
  },
});
