/** Which shell the plan names, and when it leaves the choice to the built image. */
import { describe, expect, it } from 'vitest';
import type { DevenvConfigInput } from '../../src/config/schema.js';
import { DevenvConfigSchema } from '../../src/config/schema.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import { fixedContext } from '../helpers/plan-context.js';

async function plan(input: DevenvConfigInput) {
  const config = DevenvConfigSchema.parse(input);
  return compilePlan({ ...config, name: 'test' }, await fixedContext('test'));
}

describe('the shell of a plan', () => {
  it('a private base whose name says nothing: CMD and login shell prefer bash at run time', async () => {
    const { image, run } = await plan({ base: 'registry.lan:5000/team/devbase:bookworm', user: 'host' });
    expect(run.shellFromImage).toBe(true);
    expect(image.dockerfile).toContain(
      'CMD ["/bin/sh", "-c", "exec \\"$(command -v bash || echo /bin/sh)\\""]',
    );
    expect(image.dockerfile).toContain('shell="$(command -v bash || echo /bin/sh)"');
  });

  it.each([
    [{ base: 'debian:bookworm' }, '/bin/bash'],
    [{ base: 'alpine:3.20' }, '/bin/sh'],
    [{ base: 'registry.lan/mirror/debian', shell: '/bin/zsh' }, '/bin/zsh'],
    [{ base: 'registry.lan/mirror/debian' }, '/bin/bash'],
    [{ base: 'registry.lan/mirror/alpine', packages: ['bash'], packageManager: 'apk' as const }, '/bin/bash'],
  ])('%j is decided without the image: %s', async (input, shell) => {
    const { image, run } = await plan(input);
    expect(run.shellFromImage).toBe(false);
    expect(run.shell).toBe(shell);
    expect(image.dockerfile).toContain(`CMD ["${shell}"]`);
  });
});
