/** `devenv validate`: load and check devenv.yml; every problem at once, with file:line:col. */
import path from '../util/node-path.js';
import { defineCommand } from './command.js';
import { loadProject } from './project.js';

export default defineCommand({
  name: 'validate',
  summary: 'Check devenv.yml and report every problem with its position',
  usage: '',
  options: {},
  async run(ctx) {
    const { loaded } = await loadProject(ctx);
    if (ctx.args.globals.json) {
      ctx.out.json({ valid: true, file: loaded.file, name: loaded.config.name, warnings: loaded.warnings });
    } else {
      const count = loaded.warnings.length;
      ctx.out.info(
        `${ctx.out.style('green', '✓')} ${path.relative(ctx.cwd, loaded.file) || loaded.file} is valid${count === 0 ? '' : ` (${count} warning${count === 1 ? '' : 's'})`}`,
      );
    }
    return 0;
  },
});
