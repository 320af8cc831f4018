/**
 * Keeps the declared gaps of runtimes.ts honest: a runtime that says it lacks a capability must
 * still fail with "not available yet" where the scenarios would use it. When one gains it, this test
 * fails, and its `lacks` goes, so the scenarios start running on it.
 */
import { describe, expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { RUNTIMES } from './runtimes.js';

const declared = RUNTIMES.filter((r) => r.lacks !== undefined && r.unavailable === undefined);

describe.skipIf(declared.length === 0)('declared runtime gaps', () => {
  it.each(declared.map((r) => [r.name, r] as const))(
    '%s still says up is not available yet',
    async (_name, runtime) => {
      const user = runtime.user();
      const dir = makeProject({
        'devenv.yml': ['name: conformance-gap', `base: ${runtime.base}`, 'network: none', ''].join('\n'),
      });
      const result = await user.run(dir, ['up', '-d']);
      expect(result.exitCode, result.stderr).not.toBe(0);
      expect(result.stderr).toMatch(/on the embedded runtime is not available yet/);
      expect(result.stderr).not.toContain('hit a bug');
    },
  );
});
