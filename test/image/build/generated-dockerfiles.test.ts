/**
 * Every Dockerfile devenv generates (each example in examples/ through compilePlan) and every user
 * Dockerfile in examples/ goes through the parser and the stage builder without an error, and the
 * builder reads back what the plan wrote: the same RUN argv, COPY sources, user and command.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfigText } from '../../../src/config/validate.js';
import { stageStarts, targetStage } from '../../../src/image/build/index.js';
import { parseDockerfile } from '../../../src/image/dockerfile/index.js';
import { compilePlan } from '../../../src/plan/compile-plan.js';
import { fixedContext } from '../../helpers/plan-context.js';
import { buildAll, defaultArgv } from './stage-helpers.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const base = { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'], Entrypoint: null, User: '', WorkingDir: '' };

describe('generated Dockerfiles', () => {
  it.each(examples)('%s builds through parse and StageBuilder', async (name) => {
    const dir = path.join(examplesDir, name);
    const result = validateConfigText(readFileSync(path.join(dir, 'devenv.yml'), 'utf8'), {
      file: `examples/${name}/devenv.yml`,
      projectDir: dir,
      homeDir: '/home/dev',
    });
    if (!result.ok) throw new Error(`examples/${name} does not validate`);
    const plan = compilePlan(
      result.config,
      await fixedContext(name, { HTTP_PROXY: 'http://proxy.invalid:3128' }),
    );
    const parsed = parseDockerfile(plan.image.dockerfile, `examples/${name}/Dockerfile`);
    const starts = stageStarts(parsed, plan.image.buildArgs);
    expect(starts.length).toBe(parsed.stages.length);
    expect(targetStage(parsed)).toBe(parsed.stages.length - 1);
    const stages = buildAll(plan.image.dockerfile, { base, buildArgs: plan.image.buildArgs });
    const last = stages.at(-1);
    const steps = stages.flatMap((s) => s.steps);
    expect(steps.length).toBe(parsed.stages.reduce((n, s) => n + s.instructions.length, 0));
    for (const stage of stages) expect(stage.builder.unusedBuildArgs()).toEqual([]);
    // What the plan wrote comes back: the final command and, for a non-root user, its uid:gid.
    expect(defaultArgv(last?.config ?? base).length).toBeGreaterThan(0);
    if (plan.run.user !== undefined && plan.run.user !== '' && plan.run.user !== '0:0')
      expect(last?.config.User).toBe(plan.run.user);
    for (const step of steps)
      if (step.kind === 'copy')
        for (const source of step.sources) expect(plan.image.dockerfile).toContain(JSON.stringify(source));
  });

  it.each(examples.filter((name) => existsSync(path.join(examplesDir, name, 'Dockerfile'))))(
    'the user Dockerfile of %s builds through parse and StageBuilder',
    (name) => {
      const text = readFileSync(path.join(examplesDir, name, 'Dockerfile'), 'utf8');
      const [stage] = buildAll(text, { base, buildArgs: { SDK_VERSION: '2.0' } });
      const run = stage?.steps.find((s) => s.kind === 'run');
      expect(run?.kind === 'run' && run.env).toContain('SDK_VERSION=2.0');
      expect(stage?.builder.unusedBuildArgs()).toEqual([]);
    },
  );
});
