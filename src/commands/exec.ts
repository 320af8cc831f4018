/** `devenv exec [NAME] -- CMD…`: run one command in the environment; its exit status passes through. */
import { execIn } from '../engine/session.js';
import { EXIT_RUNTIME_FAILED, UsageError, withExitCode } from '../errors.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'exec',
  summary: 'Run a command in the environment (exit status passes through)',
  usage: '[NAME] [--user U] [--workdir DIR] -- CMD...',
  options: {
    user: { type: 'string', short: 'u', value: 'U', description: 'Run as this user (name or uid[:gid])' },
    workdir: { type: 'string', short: 'w', value: 'DIR', description: 'Working directory in the container' },
  },
  async run(ctx) {
    const command = ctx.args.rest;
    if (command === undefined || command.length === 0)
      throw new UsageError('exec needs a command after --', 'example: devenv exec -- make -j4');
    const { name, engine } = await openTarget(ctx);
    const user = ctx.args.options['user'];
    const workdir = ctx.args.options['workdir'];
    try {
      return await execIn(engine, name, command, {
        user: typeof user === 'string' ? user : undefined,
        workdir: typeof workdir === 'string' ? workdir : undefined,
      });
    } catch (error) {
      throw withExitCode(error, EXIT_RUNTIME_FAILED);
    }
  },
});
