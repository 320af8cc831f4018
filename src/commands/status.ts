/** `devenv status [NAME]`: state, image, mounts and ports of one environment, and whether it is up to date. */
import { describe } from '../engine/lifecycle.js';
import { requireContainer } from '../engine/session.js';
import { driftReport } from '../engine/drift.js';
import type { DriftReport } from '../engine/drift.js';
import { defineCommand } from './command.js';
import { openTarget } from './project.js';

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
      const drift =
        session === undefined ? undefined : await driftReport(engine.runtime, session.project, undefined);
      const built = drift !== undefined && drift.state !== 'not-built';
      if (ctx.args.globals.json)
        ctx.out.json({ name, state: 'not created', image: plan?.image.tag, built, drift: drift?.state });
      else
        ctx.out.result(
          `name:    ${name}\nstate:   not created (devenv up creates it)\nimage:   ${plan?.image.tag ?? '-'} (${built ? 'built' : 'not built'})${drift === undefined ? '' : `\ndrift:   ${drift.summary}`}`,
        );
      return 0;
    }
    const planned = plan === undefined ? undefined : { ports: plan.run.ports, network: plan.run.network };
    const info = describe(container, engine.runtime.name, planned);
    const drift: DriftReport | undefined =
      session === undefined ? undefined : await driftReport(engine.runtime, session.project, container);
    if (ctx.args.globals.json) {
      ctx.out.json({
        ...info,
        drift: drift?.state,
        driftSummary: drift?.summary,
        driftChanges: drift?.changes,
      });
      return 0;
    }
    const lines = [
      `name:    ${info.name}`,
      `state:   ${info.state}${info.exitCode === undefined ? '' : ` (exit status ${info.exitCode})`}`,
      `runtime: ${info.runtime}`,
      `image:   ${info.image}`,
      `project: ${info.project ?? '-'}`,
    ];
    if (drift !== undefined) lines.push(`drift:   ${drift.summary}`);
    for (const m of info.mounts) lines.push(`mount:   ${m.source} -> ${m.target} (${m.type})`);
    for (const p of info.ports) lines.push(`port:    ${p}`);
    for (const p of info.unpublished) lines.push(`port:    ${p.port} not published (${p.reason})`);
    ctx.out.result(lines.join('\n'));
    return 0;
  },
});
