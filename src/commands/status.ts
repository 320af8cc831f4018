/** `devenv status [NAME]`: state, image, mounts and ports of one environment, and whether it is up to date. */
import { describe } from '../engine/lifecycle.js';
import { requireContainer } from '../engine/session.js';
import { driftOf } from '../engine/up.js';
import { defineCommand } from './context.js';
import { openTarget } from './project.js';

export default defineCommand({
  name: 'status',
  summary: 'Show the state of an environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const container = await requireContainer(engine, name);
    const info = describe(container, engine.runtime.name);
    let drift: string | undefined;
    if (session !== undefined) {
      const image = await engine.runtime.inspectImage(session.project.plan.image.tag);
      drift =
        image === undefined ? 'image not built' : driftOf(container, image, session.project.plan.digests.run);
    }
    if (ctx.args.globals.json) {
      ctx.out.json({ ...info, drift });
      return 0;
    }
    const lines = [
      `name:    ${info.name}`,
      `state:   ${info.state}${info.exitCode === undefined ? '' : ` (exit status ${info.exitCode})`}`,
      `runtime: ${info.runtime}`,
      `image:   ${info.image}`,
      `project: ${info.project ?? '-'}`,
    ];
    if (drift !== undefined)
      lines.push(
        `drift:   ${drift === 'none' ? 'up to date' : drift === 'run' ? 'run settings changed (devenv up recreates it, keeping files)' : drift === 'image' ? 'image changed (devenv up recreates it)' : drift}`,
      );
    for (const m of info.mounts) lines.push(`mount:   ${m.source} -> ${m.target} (${m.type})`);
    for (const p of info.ports) lines.push(`port:    ${p}`);
    ctx.out.result(lines.join('\n'));
    return 0;
  },
});
