/**
 * The build inputs of a plan that are not in the project folder. An environment restored on another
 * machine with `devenv load` has its image but usually not the files it was built from (a rootfs
 * tarball, a Dockerfile, COPY sources): it runs without them, and only a build needs them.
 */
import { existsSync } from 'node:fs';
import path from '../util/node-path.js';
import type { Plan } from '../plan/types.js';

/** The missing inputs, in words (`the tarball "rootfs.tar"`), in plan order. */
export function missingInputs(plan: Plan, projectDir: string): string[] {
  const wanted: [string, string][] = [];
  for (const prerequisite of plan.image.prerequisites) {
    if (prerequisite.kind === 'tarball') wanted.push(['the tarball', prerequisite.tarball]);
    if (prerequisite.kind === 'dockerfile') {
      wanted.push(['the Dockerfile', prerequisite.dockerfile]);
      wanted.push(['the build context', prerequisite.context]);
    }
  }
  for (const source of plan.image.contextPaths) wanted.push(['the copy source', source]);
  return wanted
    .filter(([, rel]) => !existsSync(path.resolve(projectDir, rel)))
    .map(([what, rel]) => `${what} "${rel}"`);
}
