/** `devenv status [NAME]`: state, image, mounts and ports of one environment, and whether it is up to date. */
import { describe } from '../engine/lifecycle.js';
import { requireContainer } from '../engine/session.js';
import { driftOf } from '../engine/up.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

const DRIFT: Record<string, string> = {
  none: 'up to date',
  run: 'run settings changed (devenv up recreates it, keeping files)',
  image: 'image changed (devenv up recreates it)',
};

export default defineCommand({
  name: 'status',
  summary: 'Show the state of an environment',
  usage: '[NAME]',
  options: {},
  async run(ctx) {
    const { name, engine, session } = await openTarget(ctx);
    const plan = session?.project.plan;
    // The project's own environment may simply not exist yet: that is a state, not an error. A name
    // typed on the command line that matches nothing stays an error, since it may be a typo.
    const container =
      plan === undefined ? await requireContainer(engine, name) : await engine.runtime.inspectContainer(name);
    if (container === undefined) {
      const built = plan !== undefined && (await engine.runtime.inspectImage(plan.image.tag)) !== undefined;
      if (ctx.args.globals.json) ctx.out.json({ name, state: 'not created', image: plan?.image.tag, built });
      else
        ctx.out.result(
          `name:    ${name}\nstate:   not created (devenv up creates it)\nimage:   ${plan?.image.tag ?? '-'} (${built ? 'built' : 'not built'})`,
        );
      return 0;
    }
    const planned = plan === undefined ? undefined : { ports: plan.run.ports, network: plan.run.network };
    const info = describe(container, engine.runtime.name, planned);
    let drift: string | undefined;
    if (plan !== undefined) {
      const image = await engine.runtime.inspectImage(plan.image.tag);
      drift = image === undefined ? 'image not built' : driftOf(container, image, plan.digests.run);
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
    if (drift !== undefined) lines.push(`drift:   ${DRIFT[drift] ?? drift}`);
    for (const m of info.mounts) lines.push(`mount:   ${m.source} -> ${m.target} (${m.type})`);
    for (const p of info.ports) lines.push(`port:    ${p}`);
    for (const p of info.unpublished) lines.push(`port:    ${p.port} not published (${p.reason})`);
    ctx.out.result(lines.join('\n'));
    return 0;
  },
});
