/**
 * Keeps the declared gaps of runtimes.ts honest: for every capability a runtime says it lacks, the
 * CLI must still answer "not available yet" where the scenarios would use it. When a runtime gains
 * the capability, its check here fails: that is the signal to delete the entry from `lacks`, so the
 * scenarios that need it start running on that runtime.
 */
import { describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { RUNTIMES } from './runtimes.js';
import type { Capability, RuntimeUnderTest } from './runtimes.js';

/** How each capability is probed: the command that uses it, and what it says while it is missing. */
const PROBES: Record<Capability, { args: string[]; says: RegExp }> = {
  build: { args: ['build'], says: /building images on the embedded runtime is not available yet/ },
  containers: { args: ['status'], says: /containers on the embedded runtime are not available yet/ },
};

const declared = RUNTIMES.filter((r) => r.unavailable === undefined).flatMap((runtime) =>
  Object.keys(runtime.lacks ?? {}).map(
    (capability) => [runtime.name, capability as Capability, runtime] as const,
  ),
);

describe.skipIf(declared.length === 0)('declared runtime gaps', () => {
  it.each(declared)('%s still lacks %s', async (_name, capability: Capability, runtime: RuntimeUnderTest) => {
    const user = runtime.user();
    const dir = makeProject({
      'devenv.yml': ['name: conformance-gap', `base: ${runtime.base}`, 'network: none', ''].join('\n'),
    });
    const probe = PROBES[capability];
    const result = await user.run(dir, probe.args);
    expect(result.exitCode, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(probe.says);
    expect(result.stderr).not.toContain('hit a bug');
  });
});
