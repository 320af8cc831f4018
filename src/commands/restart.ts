/** `devenv restart [NAME]`: stop and start again (start hooks run). */
import { restartEnvironment } from '../engine/lifecycle.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'restart',
  summary: 'Stop and start the environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    await restartEnvironment(
      engine,
      name,
      session === undefined
        ? undefined
        : { spec: session.project.plan.run, stateDir: session.project.stateDir },
    );
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', name, state: 'running' });
    else ctx.out.info(`${name} restarted`);
    return 0;
  },
});
