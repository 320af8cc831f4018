/**
 * The runtimes the conformance scenarios run on, and `forEachRuntime()`, which writes a scenario set
 * once and runs it on each. A scenario set names the capabilities it needs (`build`, `containers`); a
 * runtime that does not have one yet declares it in `lacks`, with the reason. Its scenarios that need
 * it skip with that reason printed, even under DEVENV_E2E=require, and capabilities.test.ts checks
 * that every declared lack is still true, so the skip cannot outlive it. Any other reason to skip (a
 * service that did not start) fails the run under DEVENV_E2E=require.
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

/**
 * What a scenario set may need of a runtime: `build` is `devenv build` (images from a plan),
 * `containers` is everything that runs one (`up`, `exec`, `status`, `rm`), and `private-network` is
 * `network: private`: the environment's own network, with outbound access and published ports.
 */
export type Capability = 'build' | 'containers' | 'private-network';

export interface RuntimeUnderTest {
  name: 'docker' | 'embedded';
  /** Capabilities this runtime does not have yet, each with what the CLI says instead. */
  lacks?: Partial<Record<Capability, string>> | undefined;
  /** Why it cannot run on this machine (a service that did not start); undefined when it can. */
  unavailable: string | undefined;
  /** A base image this runtime can build from. */
  base: string;
  /** A fresh isolated user (own HOME, state and storage), with `extra` in their environment. */
  user(extra?: Record<string, string>): RuntimeUser;
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
    lacks: {
      'private-network':
        'a bridge network on the test dockerd (it runs with --bridge=none, so nothing is published)',
    },
    unavailable: dockerAvailable ? undefined : 'the private dockerd did not start',
    base: services.busyboxImage,
    user: (extra = {}) => userOf(isolatedEnv(extra), ['--runtime', 'docker']),
  },
  {
    name: 'embedded',
    unavailable:
      services.registry !== '' && services.dockerHost !== ''
        ? undefined
        : 'the loopback registry or the private dockerd did not start',
    base: services.busyboxImage,
    user: (extra = {}) => {
      const box = sandbox();
      return userOf({ ...box.env, ...extra }, ['--runtime', 'embedded', '--root', box.root]);
    },
  },
];

const required = process.env['DEVENV_E2E'] === 'require';

/** The declared lacks of `runtime` among `needs`, as one sentence, or undefined when it has them all. */
export function lackedOf(runtime: RuntimeUnderTest, needs: readonly Capability[]): string | undefined {
  const lacked = needs.flatMap((need) => {
    const reason = runtime.lacks?.[need];
    return reason === undefined ? [] : [reason];
  });
  return lacked.length === 0 ? undefined : `the ${runtime.name} runtime lacks ${lacked.join(' and ')}`;
}

/** Why `runtime`'s scenarios that need `needs` skip here, or undefined when they run. */
export function skipReason(runtime: RuntimeUnderTest, needs: readonly Capability[]): string | undefined {
  return lackedOf(runtime, needs) ?? runtime.unavailable;
}

/**
 * Declares `body`'s tests once per runtime, as `TITLE on NAME`. A runtime that declares one of
 * `needs` missing is skipped with the reason printed; an unavailable one fails under
 * DEVENV_E2E=require.
 */
export function forEachRuntime(
  title: string,
  needs: readonly Capability[],
  body: (runtime: RuntimeUnderTest) => void,
): void {
  for (const runtime of RUNTIMES) {
    const reason = skipReason(runtime, needs);
    const name = `${title} on ${runtime.name}`;
    if (reason !== undefined && lackedOf(runtime, needs) === undefined && required) {
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
