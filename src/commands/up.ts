/** `devenv up`: build what changed, create or restart the container, and attach in a terminal. */
import { up } from '../engine/up.js';
import { defineCommand } from './command.js';
import { openProject } from './project.js';

export default defineCommand({
  name: 'up',
  summary: 'Build what changed, create or start the environment, and attach to it',
  usage: '[-d] [--recreate] [--keep-state] [--no-attach] [--watch]',
  options: {
    detach: { type: 'boolean', short: 'd', description: 'Leave it running in the background' },
    'no-attach': { type: 'boolean', description: 'Same as -d' },
    recreate: {
      type: 'boolean',
      description: 'Recreate the container from the image (changes outside volumes are lost)',
    },
    'keep-state': { type: 'boolean', description: 'When the image changed, keep the old container' },
    yes: { type: 'boolean', short: 'y', description: 'Do not ask before discarding changes' },
    'no-cache': { type: 'boolean', description: 'Rebuild every layer' },
    pull: { type: 'boolean', description: 'Pull a newer base image first' },
    watch: {
      type: 'boolean',
      description:
        'Then watch devenv.yml and the files the image copies, and offer to apply a change (once you detach)',
    },
  },
  async run(ctx) {
    const session = await openProject(ctx);
    const { project, engine } = session;
    const o = ctx.args.options;
    const detach = o['detach'] === true || o['no-attach'] === true;
    const options = {
      detach,
      recreate: o['recreate'] === true,
      keepState: o['keep-state'] === true,
      yes: o['yes'] === true,
      noCache: o['no-cache'] === true,
      pull: o['pull'] === true,
      squash: false,
      force: false,
    };
    if (o['watch'] === true) {
      const { watchEnvironment } = await import('./watch.js');
      return watchEnvironment(ctx, session, {
        auto: session.settings.watch.auto,
        attach: !detach,
        up: options,
      });
    }
    const result = await up(engine, project, options);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', ...result });
    else if (result.detached === true)
      ctx.out.info(
        `detached from ${result.name}; it keeps running. Return with: devenv attach ${result.name}`,
      );
    else if (result.status !== undefined)
      ctx.out.info(
        `${result.name} stopped (its shell exited with status ${result.status}); start it again with: devenv up`,
      );
    else if (!result.attached)
      ctx.out.info(
        `${result.name} is ${result.action === 'running' ? 'already running' : `up (${result.action})`}. Attach with: devenv attach ${result.name}   Run a command: devenv exec ${result.name} -- CMD`,
      );
    return result.status ?? 0;
  },
});
