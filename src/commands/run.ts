/** `devenv run -- CMD…`: a one-off, throwaway container of this environment. */
import { runOnce } from '../engine/session.js';
import { ensureImage } from '../engine/image.js';
import { settleShell } from '../engine/shell.js';
import { EXIT_RUNTIME_FAILED, withExitCode } from '../errors.js';
import { defineCommand } from './command.js';
import { openProject } from './project.js';

export default defineCommand({
  name: 'run',
  summary: 'Run a command in a throwaway container of this environment',
  usage: '-- CMD...',
  options: {},
  async run(ctx) {
    const { project, engine } = await openProject(ctx);
    try {
      const { image } = await ensureImage(engine, project, {
        noCache: false,
        pull: false,
        squash: false,
        force: false,
      });
      const ready = await settleShell(engine, project, image);
      return await runOnce(engine, ready.plan.run, image, ctx.args.rest ?? []);
    } catch (error) {
      throw withExitCode(error, EXIT_RUNTIME_FAILED);
    }
  },
});
