/**
 * The runtimes the conformance scenarios run on, and `forEachRuntime()`, which writes a scenario set
 * once and runs it on each. A runtime that cannot do what the scenarios need yet declares the missing
 * capability in `lacks`: its scenarios skip with that reason printed, even under DEVENV_E2E=require,
 * and capabilities.test.ts checks that the claim is still true, so the skip cannot outlive it. Any
 * other reason to skip (a service that did not start) fails the run under DEVENV_E2E=require.
 */
import { describe, it } from 'vitest';
import { devenv } from '../../helpers/cli.js';
import type { CliOptions, CliResult } from '../../helpers/cli.js';
import { dockerAvailable, isolatedEnv, services } from '../docker/env.js';
import { sandbox } from '../embedded/env.js';

/** One user of one runtime: their environment and the global flags that pick the runtime. */
export interface RuntimeUser {
  env: Record<string, string>;
  /** `--runtime NAME` and whatever else selects this runtime's storage. */
  globals: string[];
  /** Runs the built CLI as this user on this runtime, in `cwd`. */
  run(cwd: string, args: readonly string[], options?: Omit<CliOptions, 'cwd' | 'env'>): Promise<CliResult>;
}

export interface RuntimeUnderTest {
  name: 'docker' | 'embedded';
  /** A capability the scenarios need that this runtime does not have yet; its scenarios skip. */
  lacks?: string | undefined;
  /** Why it cannot run on this machine (a service that did not start); undefined when it can. */
  unavailable: string | undefined;
  /** A base image this runtime can build from. */
  base: string;
  /** A fresh isolated user (own HOME, state and storage). */
  user(): RuntimeUser;
}

function userOf(env: Record<string, string>, globals: string[]): RuntimeUser {
  return {
    env,
    globals,
    run: (cwd, args, options = {}) => devenv([...globals, ...args], { ...options, cwd, env }),
  };
}

export const RUNTIMES: readonly RuntimeUnderTest[] = [
  {
    name: 'docker',
    unavailable: dockerAvailable ? undefined : 'the private dockerd did not start',
    base: services.busyboxImage,
    user: () => userOf(isolatedEnv(), ['--runtime', 'docker']),
  },
  {
    name: 'embedded',
    lacks: 'building images and running containers (devenv up says they are not available yet)',
    unavailable:
      services.registry !== '' && services.dockerHost !== ''
        ? undefined
        : 'the loopback registry or the private dockerd did not start',
    base: services.busyboxImage,
    user: () => {
      const box = sandbox();
      return userOf(box.env, ['--runtime', 'embedded', '--root', box.root]);
    },
  },
];

const required = process.env['DEVENV_E2E'] === 'require';

/** Why `runtime`'s scenarios skip here, or undefined when they run. */
export function skipReason(runtime: RuntimeUnderTest): string | undefined {
  if (runtime.lacks !== undefined) return `the ${runtime.name} runtime lacks ${runtime.lacks}`;
  return runtime.unavailable;
}

/**
 * Declares `body`'s tests once per runtime, as `TITLE on NAME`. A runtime that declares a missing
 * capability is skipped with the reason printed; an unavailable one fails under DEVENV_E2E=require.
 */
export function forEachRuntime(title: string, body: (runtime: RuntimeUnderTest) => void): void {
  for (const runtime of RUNTIMES) {
    const reason = skipReason(runtime);
    const name = `${title} on ${runtime.name}`;
    if (reason !== undefined && runtime.lacks === undefined && required) {
      describe(name, () => {
        it('can run here (DEVENV_E2E=require)', () => {
          throw new Error(`DEVENV_E2E=require but ${runtime.name} cannot run: ${reason}`);
        });
      });
      continue;
    }
    if (reason !== undefined) {
      process.stderr.write(`conformance: skipping "${name}": ${reason}\n`);
      describe.skip(`${name} (skipped: ${reason})`, () => {
        body(runtime);
      });
      continue;
    }
    describe(name, () => {
      body(runtime);
    });
  }
}
