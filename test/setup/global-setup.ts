/**
 * vitest global setup for every project: points TMPDIR at a folder of this run's own, removed at
 * the end (run-temp.ts), makes sure dist/ is built and current, and compiles the TypeScript helper
 * scripts that tests start as child processes (see child-scripts.ts). Their location reaches the
 * tests through `provide` (read it with test/helpers/child-script.ts).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureBuiltDist } from './built-dist.js';
import { compileChildScripts } from './child-scripts.js';
import { makeRunTemp, removeRunTemp } from './run-temp.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => void> {
  // Every test worker inherits this process's environment. Vitest runs this root setup after the
  // projects' own (the e2e services keep their folder beside this one and remove it themselves),
  // and its teardown before theirs.
  const runTemp = makeRunTemp();
  process.env['TMPDIR'] = runTemp;
  await ensureBuiltDist(REPO, (line) => {
    process.stderr.write(`${line}\n`);
  });
  const helpers = compileChildScripts(REPO);
  project.provide('childScripts', helpers);
  return () => {
    rmSync(helpers, { recursive: true, force: true });
    removeRunTemp(runTemp, (line) => {
      process.stderr.write(`${line}\n`);
    });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the transpiled test helpers are: test/x/y.ts is at `<childScripts>/test/x/y.js`. */
    childScripts: string;
  }
}
