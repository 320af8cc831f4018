/** `devenv start [NAME]`: start a stopped environment (and run its start hooks). */
import { startEnvironment } from '../engine/lifecycle.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'start',
  summary: 'Start a stopped environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const project =
      session === undefined
        ? undefined
        : { spec: session.project.plan.run, stateDir: session.project.stateDir };
    await startEnvironment(engine, name, project);
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', name, state: 'running' });
    else ctx.out.info(`${name} is running`);
    return 0;
  },
});
