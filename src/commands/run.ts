/** `devenv run -- CMD…`: a one-off, throwaway container of this environment. */
import { runOnce } from '../engine/session.js';
import { ensureImage } from '../engine/image.js';
import { settleShell } from '../engine/shell.js';
import { EXIT_RUNTIME_FAILED } from '../errors.js';
import { defineCommand } from './command.js';
import { openProject } from './project.js';

export default defineCommand({
  name: 'run',
  summary: 'Run a command in a throwaway container of this environment',
  usage: '-- CMD...',
  options: {},
  failureStatus: EXIT_RUNTIME_FAILED,
  async run(ctx) {
    const { project, engine } = await openProject(ctx);
    const { image } = await ensureImage(engine, project, {
      noCache: false,
      pull: false,
      squash: false,
      force: false,
    });
    const ready = await settleShell(engine, project, image);
    return runOnce(engine, ready.plan.run, image, ctx.args.rest ?? []);
  },
});
