/** `devenv attach [NAME]`: rejoin the main session; ctrl-p ctrl-q detaches and leaves it running. */
import { attachTo } from '../engine/session.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'attach',
  summary: 'Rejoin the main session (detach with ctrl-p ctrl-q)',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const result = await attachTo(engine, name);
    if (result.kind === 'detached') {
      ctx.out.info(`detached from ${name}; it keeps running`);
      return 0;
    }
    const again = session === undefined ? `devenv start ${name}` : 'devenv up';
    ctx.out.info(
      `${name} stopped (its shell exited with status ${result.status}); start it again with: ${again}`,
    );
    return result.status;
  },
});
