/**
 * Golden tests: every example in examples/ validates and compiles to the committed Dockerfile and
 * docker run arguments (test/plan/__golden__). Update with `npx vitest run -u` after a deliberate change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfigText } from '../../src/config/validate.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import { shellJoin } from '../../src/plan/quote.js';
import { toRunArgs } from '../../src/runtime/docker/run-args.js';
import { fixedContext } from '../helpers/plan-context.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('examples', () => {
  it('there are at least the five the spine promises, and the quickstart the README runs', () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        'seed-xenial',
        'multi-stage',
        'alpine',
        'web-service',
        'dockerfile-base',
        'quickstart',
      ]),
    );
  });

  it.each(examples)('%s validates, compiles and matches its golden files', async (name) => {
    const dir = path.join(examplesDir, name);
    const text = readFileSync(path.join(dir, 'devenv.yml'), 'utf8');
    const result = validateConfigText(text, {
      file: `examples/${name}/devenv.yml`,
      projectDir: dir,
      homeDir: '/home/dev',
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!result.ok) return;
    const plan = compilePlan(result.config, await fixedContext(name, { DISPLAY: ':0' }));
    await expect(plan.image.dockerfile).toMatchFileSnapshot(`__golden__/${name}.Dockerfile`);
    await expect(`${shellJoin(['docker', ...toRunArgs(plan.run)])}\n`).toMatchFileSnapshot(
      `__golden__/${name}.run-args.txt`,
    );
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
