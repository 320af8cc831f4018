/**
 * `devenv save [NAME] -o FILE [--no-state]`: the environment as one tarball (a valid docker save
 * archive plus devenv/), or, when NAME is an image and no environment, that image alone.
 */
import path from '../util/node-path.js';
import { isImageOnly, saveImageArchive } from '../engine/image-archive.js';
import { UsageError } from '../errors.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'save',
  summary: 'Save the environment (image, state, volumes, config), or one image, to a tarball',
  usage: '[NAME|IMAGE] -o FILE [--no-state]',
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', description: 'Where to write the tarball' },
    'no-state': { type: 'boolean', description: 'Leave out the changes made in the container' },
  },
  async run(ctx) {
    const output = ctx.args.options['output'];
    if (typeof output !== 'string')
      throw new UsageError('save needs -o FILE', 'example: devenv save -o myenv.tar');
    const { name, engine, session } = await openTarget(ctx);
    const file = path.resolve(ctx.cwd, output);
    if (session === undefined && (await isImageOnly(engine, name))) {
      await saveImageArchive(engine, [name], file);
      if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', file, images: [name] });
      else ctx.out.info(`saved image ${name} to ${output}; load it with: devenv load ${output}`);
      return 0;
    }
    const { saveBundle } = await import('../bundle/save.js');
    const manifest = await saveBundle(engine, {
      name,
      output: file,
      noState: ctx.args.options['no-state'] === true,
      configText: session?.project.configText,
      devenvVersion: ctx.version,
    });
    if (ctx.args.globals.json) ctx.out.json({ outcome: 'success', file, ...manifest });
    else
      ctx.out.info(
        `saved ${name} to ${output}${manifest.volumes.length > 0 ? ` with volumes ${manifest.volumes.map((v) => v.name).join(', ')}` : ''}; restore it with: devenv load ${output}`,
      );
    return 0;
  },
});
