/**
 * `devenv move [NAME] --to docker|embedded|podman`: moves an environment (its container's files, its
 * volumes, its env) to another runtime on this machine, through pipes (no bundle file is written).
 */
import { moveEnvironment } from '../bundle/move.js';
import { UsageError } from '../errors.js';
import { chooseRuntime, createRuntime } from '../runtime/factory.js';
import { defineCommand } from './command.js';
import { engineContext } from './engine-for-command.js';
import { callerOf, openTarget, runtimeHost, settingsOf } from './project.js';

export default defineCommand({
  name: 'move',
  summary: 'Move an environment to another runtime on this machine (docker, embedded, podman)',
  usage: '[NAME] --to RUNTIME',
  options: {
    to: { type: 'string', value: 'RUNTIME', description: 'The runtime to move it to' },
  },
  async run(ctx) {
    const to = ctx.args.options['to'];
    if (typeof to !== 'string' || to === 'auto')
      throw new UsageError(
        'move needs --to docker, --to embedded or --to podman',
        'example: devenv move --to docker',
      );
    const target = chooseRuntime({ flag: to });
    const { name, engine } = await openTarget(ctx);
    const settings = await settingsOf(ctx);
    const destination = engineContext(ctx, await createRuntime(target, runtimeHost(ctx, settings)));
    const result = await moveEnvironment(engine, destination, { name, caller: callerOf(ctx, settings) });
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', ...result });
    else
      ctx.out.info(
        `moved ${name} from ${result.from} to ${result.to}${result.volumes.length > 0 ? ` with volumes ${result.volumes.join(', ')}` : ''}; ${result.started ? 'it is running again' : 'start it with: devenv up'}`,
      );
    return 0;
  },
});
