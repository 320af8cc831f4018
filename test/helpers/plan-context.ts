/** A fixed plan context for golden and property tests: stable paths, a non-root caller, no proxy. */
import type { Fragments, PlanContext } from '../../src/plan/types.js';
import { once } from '../../src/util/once.js';
import { loadFragments } from '../../src/config/templates.js';

/** The install fragments from templates/, loaded once. */
export const testFragments: () => Promise<Fragments> = once(loadFragments);

/** A context as a user `dev` (1000:1000) in `/projects/<name>` would have it. */
export async function fixedContext(name: string, env: Record<string, string> = {}): Promise<PlanContext> {
  return {
    projectDir: `/projects/${name}`,
    configFile: `/projects/${name}/devenv.yml`,
    homeDir: '/home/dev',
    hostUser: { name: 'dev', uid: 1000, gid: 1000 },
    env,
    stateDir: `/home/dev/.local/state/devenv/envs/${name}`,
    fragments: await testFragments(),
  };
}
