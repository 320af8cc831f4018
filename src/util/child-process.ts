/**
 * `node:child_process`, loaded when the command first starts a process. Loading it brings Node's
 * net, dgram and stream modules, ~7 ms of a start on the machines devenv is benchmarked on, which
 * the commands typed all day that start no process (a no-op `up -d`, `status`) would pay for nothing
 * if a module on their path imported it at its top (docs/hot-paths.md#a-no-op-up--d).
 */
import { createRequire } from 'node:module';
import type * as ChildProcessModule from 'node:child_process';

let loaded: typeof ChildProcessModule | undefined;

/** The `node:child_process` module, required on the first call. */
export function childProcess(): typeof ChildProcessModule {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcessModule;
  return loaded;
}
