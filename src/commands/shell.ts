/** `devenv shell [NAME]`: open another interactive shell beside the main session. */
import { execIn, requireContainer } from '../engine/session.js';
import { containerShell } from '../engine/shell.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'shell',
  summary: 'Open another shell in the environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const spec = session?.project.plan.run;
    // Only a shell the image decided needs the container: it was recorded there at creation.
    const shell =
      spec !== undefined && spec.shellFromImage !== true
        ? spec.shell
        : containerShell(spec, (await requireContainer(engine, name)).labels);
    return execIn(engine, name, [shell]);
  },
});
