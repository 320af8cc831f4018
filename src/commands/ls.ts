/** `devenv ls`: every environment on this runtime, with its state. */
import { listEnvironments } from '../engine/lifecycle.js';
import { formatTable } from '../ui/plain/table.js';
import { defineCommand } from './command.js';
import { openRuntime } from './project.js';

export default defineCommand({
  name: 'ls',
  summary: 'List environments',
  usage: '',
  options: {},
  async run(ctx) {
    const envs = await listEnvironments(await openRuntime(ctx));
    if (ctx.args.globals.json) {
      ctx.out.json(envs);
      return 0;
    }
    ctx.out.result(
      formatTable(
        ['NAME', 'STATE', 'RUNTIME', 'IMAGE', 'PROJECT'],
        envs.map((e) => [e.name, e.state, e.runtime, e.image, e.project ?? '']),
      ),
    );
    return 0;
  },
});
