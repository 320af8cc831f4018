/** `devenv shell [NAME]`: open another interactive shell beside the main session. */
import { LABELS } from '../plan/compile-plan.js';
import { execIn, requireContainer } from '../engine/session.js';
import { defineCommand } from './context.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'shell',
  summary: 'Open another shell in the environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const shell =
      session?.project.plan.run.shell ??
      (await requireContainer(engine, name)).labels[LABELS.shell] ??
      '/bin/sh';
    return execIn(engine, name, [shell]);
  },
});
