/** Env references resolve against the environment image, or the values recorded on a commit of it. */
import { describe, expect, it } from 'vitest';
import { DevenvConfigSchema } from '../../src/config/schema.js';
import { ENV_BASE_LABEL, resolveRunEnv } from '../../src/engine/run-env.js';
import { compilePlan } from '../../src/plan/compile-plan.js';
import type { ImageSummary } from '../../src/runtime/runtime.js';
import { fixedContext } from '../helpers/plan-context.js';

const image = (env: string[], labels: Record<string, string> = {}): ImageSummary => ({
  id: 'sha256:1',
  tags: [],
  labels,
  entrypoint: null,
  cmd: null,
  env,
});

async function spec(env: Record<string, string>) {
  const config = DevenvConfigSchema.parse({ base: 'alpine', env });
  return compilePlan({ ...config, name: 't' }, await fixedContext('t')).run;
}

describe('resolveRunEnv', () => {
  it('resolves $NAME against the image and records the values it used', async () => {
    const resolved = resolveRunEnv(await spec({ PATH: '/opt/bin:$PATH', A: 'x' }), image(['PATH=/bin']));
    expect(resolved.env).toEqual({ PATH: '/opt/bin:/bin', A: 'x' });
    expect(JSON.parse(resolved.labels[ENV_BASE_LABEL] ?? '')).toEqual({ PATH: '/bin' });
  });

  it('on a commit, resolves against the recorded values, so PATH is not prefixed twice', async () => {
    const commit = image(['PATH=/opt/bin:/bin'], { [ENV_BASE_LABEL]: JSON.stringify({ PATH: '/bin' }) });
    expect(resolveRunEnv(await spec({ PATH: '/opt/bin:$PATH' }), commit).env.PATH).toBe('/opt/bin:/bin');
  });

  it('adds no label when nothing refers to the image', async () => {
    expect(resolveRunEnv(await spec({ A: 'cost $$5' }), image([])).labels[ENV_BASE_LABEL]).toBeUndefined();
  });
});

describe('resolveRunEnv without a PATH in the image', () => {
  it('refers to the default PATH a container gets, never to an empty one', async () => {
    const resolved = resolveRunEnv(await spec({ PATH: '/opt/bin:$PATH' }), image([]));
    expect(resolved.env.PATH).toBe('/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });
});
