/** `devenv plan`: print the generated Dockerfile, the `docker run` argv, or both as JSON. */
import { UsageError } from '../errors.js';
import { shellJoin } from '../plan/quote.js';
import type { Plan } from '../plan/types.js';
import { toRunArgs } from '../runtime/docker/run-args.js';
import { defineCommand } from './command.js';
import { loadProject, planProject } from './project.js';

/** Replaces secret values (proxy credentials) so plan output never prints them. */
export function redactPlan(plan: Plan): Plan {
  const redact = (vars: Record<string, string>) =>
    Object.fromEntries(Object.keys(vars).map((k) => [k, '<from the environment>']));
  return {
    ...plan,
    image: { ...plan.image, proxyArgs: redact(plan.image.proxyArgs) },
    run: { ...plan.run, secretEnv: redact(plan.run.secretEnv) },
  };
}

export default defineCommand({
  name: 'plan',
  summary: 'Print the generated Dockerfile and docker run arguments',
  usage: '[--dockerfile | --run-args]',
  options: {
    dockerfile: { type: 'boolean', description: 'Print only the Dockerfile' },
    'run-args': { type: 'boolean', description: 'Print only the docker run command' },
  },
  async run(ctx) {
    const { dockerfile, 'run-args': runArgs } = ctx.args.options;
    if (dockerfile === true && runArgs === true)
      throw new UsageError('--dockerfile and --run-args exclude each other');
    const { loaded, settings } = await loadProject(ctx);
    const plan = await planProject(ctx, loaded, settings);
    const argv = ['docker', ...toRunArgs(plan.run)];
    if (ctx.args.globals.json) {
      ctx.out.json({ ...redactPlan(plan), runArgs: argv });
    } else if (dockerfile === true) {
      ctx.out.result(plan.image.dockerfile);
    } else if (runArgs === true) {
      ctx.out.result(shellJoin(argv));
    } else {
      ctx.out.result(`${plan.image.dockerfile}\n# docker run arguments:\n# ${shellJoin(argv)}\n`);
    }
    return 0;
  },
});
