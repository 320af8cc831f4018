/** Every `devenv init` template validates and compiles, and carries the $schema line and comments. */
import { describe, expect, it } from 'vitest';
import { validateConfigText } from '../../src/config/validate.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import { initTemplateNames, readInitTemplate } from '../../src/config/templates.js';
import { fixedContext } from '../helpers/plan-context.js';

describe('init templates', async () => {
  const names = await initTemplateNames();

  it('include the promised starters', () => {
    expect(names).toEqual(['alpine', 'arch', 'debian', 'embedded', 'fedora', 'ubuntu']);
  });

  it.each(names)('%s is valid, commented and compiles', async (name) => {
    const text = (await readInitTemplate(name))
      .replaceAll('{{name}}', 'demo')
      .replaceAll('{{schema}}', 'devenv.schema.json');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=devenv.schema.json');
    expect(text.split('\n').filter((l) => l.trim().startsWith('#')).length).toBeGreaterThanOrEqual(3);
    const result = validateConfigText(text, {
      file: `${name}.yml`,
      projectDir: '/tmp',
      homeDir: '/home/dev',
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!result.ok) return;
    const plan = compilePlan(result.config, await fixedContext('demo'));
    expect(plan.image.dockerfile).toMatch(/^FROM /m);
  });
});
