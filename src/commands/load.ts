/** `devenv load FILE [--name N] [--yes]`: restore an environment saved with devenv save (or load a plain image archive). */
import path from '../util/node-path.js';
import { loadFile } from '../bundle/load-file.js';
import { checkName } from '../config/values.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { callerOf, openRuntime, settingsOf } from './project.js';

export default defineCommand({
  name: 'load',
  summary: 'Restore an environment from a tarball made by devenv save',
  usage: 'FILE [--name N] [--yes]',
  options: {
    name: { type: 'string', value: 'N', description: 'Restore it under another name' },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'Allow host access (privileged, host paths, devices) without asking',
    },
  },
  async run(ctx) {
    const file = ctx.args.positionals[0];
    if (file === undefined) throw new UsageError('load takes the tarball to restore');
    const name = ctx.args.options['name'];
    if (typeof name === 'string' && checkName(name) !== undefined)
      throw new UsageError(`--name ${checkName(name) ?? ''}`);
    const engine = await openRuntime(ctx);
    const projectDir = path.resolve(ctx.cwd, ctx.args.globals.dir ?? '.');
    const result = await loadFile(engine, {
      file,
      projectDir,
      name: typeof name === 'string' ? name : undefined,
      allowHostAccess: ctx.args.options['yes'] === true,
      caller: callerOf(ctx, await settingsOf(ctx)),
    });
    if (result.kind === 'images') {
      if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', loaded: result.loaded });
      else for (const ref of result.loaded) ctx.out.info(`loaded ${ref}`);
    } else if (ctx.args.globals.json) {
      const { name: restored, container, image } = result;
      ctx.out.json({ outcome: 'success', name: restored, container, image, project: projectDir });
    } else ctx.out.info(`restored ${result.name} in ${projectDir}; start it with: devenv up`);
    return 0;
  },
});
