/**
 * Keeps the declared gaps of runtimes.ts honest: for every capability a runtime says it lacks, the
 * CLI must still say so where the scenarios would use it. When a runtime gains the capability, its
 * check here fails: that is the signal to delete the entry from `lacks`, so the scenarios that need
 * it start running on that runtime.
 */
import { describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { RUNTIMES } from './runtimes.js';
import type { Capability, RuntimeUnderTest, RuntimeUser } from './runtimes.js';

interface Probe {
  /** devenv.yml lines after the name and the base. */
  config: readonly string[];
  /** Uses the capability and returns what the CLI said about it. */
  ask(user: RuntimeUser, dir: string): Promise<string>;
  /** What it says while the capability is missing. */
  says: RegExp;
}

/** Runs a command that must fail, and returns its error output. */
function failing(args: string[]) {
  return async (user: RuntimeUser, dir: string): Promise<string> => {
    const result = await user.run(dir, args);
    expect(result.exitCode, result.stderr).not.toBe(0);
    return result.stderr;
  };
}

const PROBES: Record<Capability, Probe> = {
  build: {
    config: ['network: none'],
    ask: failing(['build']),
    says: /building images on the embedded runtime is not available yet/,
  },
  containers: {
    config: ['network: none'],
    ask: failing(['status']),
    says: /containers on the embedded runtime are not available yet/,
  },
  // Docker starts a container on a network the engine lacks and publishes nothing, so what tells is
  // status's reason for the unpublished port; the embedded runtime refuses the up itself.
  'private-network': {
    config: ['network: private', 'ports: ["127.0.0.1:18089:80"]'],
    async ask(user, dir) {
      const up = await user.run(dir, ['up', '-d']);
      if (up.exitCode !== 0) return up.stderr;
      const status = await user.run(dir, ['status', '--json']);
      await user.run(dir, ['rm', '-f']);
      const report = JSON.parse(status.stdout) as { unpublished?: { reason: string }[] };
      return (report.unpublished ?? []).map((p) => p.reason).join('\n');
    },
    says: /the engine has no bridge network to publish through|on the embedded runtime are not available yet/,
  },
};

const declared = RUNTIMES.filter((r) => r.unavailable === undefined).flatMap((runtime) =>
  Object.keys(runtime.lacks ?? {}).map(
    (capability) => [runtime.name, capability as Capability, runtime] as const,
  ),
);

describe.skipIf(declared.length === 0)('declared runtime gaps', () => {
  it.each(declared)('%s still lacks %s', async (name, capability: Capability, runtime: RuntimeUnderTest) => {
    const user = runtime.user();
    const probe = PROBES[capability];
    const dir = makeProject({
      'devenv.yml': [`name: conformance-gap-${name}`, `base: ${runtime.base}`, ...probe.config, ''].join(
        '\n',
      ),
    });
    const said = await probe.ask(user, dir);
    expect(said).toMatch(probe.says);
    expect(said).not.toContain('hit a bug');
  });
});
