/** `devenv attach [NAME]`: rejoin the main session; ctrl-p ctrl-q detaches and leaves it running. */
import { attachTo } from '../engine/session.js';
import { defineCommand } from './context.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'attach',
  summary: 'Rejoin the main session (detach with ctrl-p ctrl-q)',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine } = await openTarget(ctx);
    const result = await attachTo(engine, name);
    if (result.kind === 'detached') {
      ctx.out.info(`detached from ${name}; it keeps running`);
      return 0;
    }
    return result.status;
  },
});
