/** `devenv ls`: every environment devenv made, on every runtime this host has (or the one named). */
import { isDevenvError } from '../errors.js';
import { listEnvironments } from '../engine/lifecycle.js';
import type { EnvironmentInfo } from '../engine/lifecycle.js';
import { runtimesToList } from '../runtime/factory.js';
import { formatTable } from '../ui/plain/table.js';
import { defineCommand } from './command.js';
import { engineContext } from './engine-for-command.js';
import { runtimeHost, settingsOf } from './project.js';

export default defineCommand({
  name: 'ls',
  summary: 'List environments (of every runtime, or of the one --runtime names)',
  usage: '',
  options: {},
  async run(ctx) {
    const settings = await settingsOf(ctx);
    const runtimes = await runtimesToList(
      { flag: ctx.args.globals.runtime, settings: settings.runtime },
      runtimeHost(ctx, settings),
    );
    const envs: EnvironmentInfo[] = [];
    const lists = await Promise.allSettled(
      runtimes.map((runtime) => listEnvironments(engineContext(ctx, runtime))),
    );
    for (const [index, list] of lists.entries()) {
      if (list.status === 'fulfilled') envs.push(...list.value);
      // One runtime that cannot answer (Docker installed, its daemon stopped) leaves the others
      // listed; asked for that runtime alone, its error is the answer.
      else if (runtimes.length === 1 || !isDevenvError(list.reason)) throw list.reason;
      else
        ctx.out.warn(
          `${runtimes[index]?.name ?? 'a runtime'}: not listed: ${list.reason.message.split('\n')[0] ?? ''}`,
        );
    }
    envs.sort((a, b) => a.name.localeCompare(b.name) || a.runtime.localeCompare(b.runtime));
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
