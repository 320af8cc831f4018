/** Failpoint specifications: every hit, or only the Nth (`@N`), so a test can stop at a pull's second blob. */
import { afterEach, describe, expect, it } from 'vitest';
import { configureFailpoints, failpoint } from '../../src/util/failpoint.js';

afterEach(() => {
  configureFailpoints(undefined);
});

async function outcome(name: string): Promise<string> {
  return failpoint(name).then(
    () => 'passed',
    (error: unknown) => (error as { code?: string }).code ?? 'error',
  );
}

describe('failpoints', () => {
  it('fire on every hit without @N, only on the Nth with it, and count per name', async () => {
    expect(configureFailpoints('a:throw=EIO,b:throw=ENOSPC@2,c:sleep=1@1')).toEqual(['a', 'b', 'c']);
    expect([await outcome('a'), await outcome('a')]).toEqual(['EIO', 'EIO']);
    expect([await outcome('b'), await outcome('b'), await outcome('b')]).toEqual([
      'passed',
      'ENOSPC',
      'passed',
    ]);
    expect(await outcome('c')).toBe('passed');
    expect(await outcome('unconfigured')).toBe('passed');
  });

  it('a new configuration starts counting again', async () => {
    configureFailpoints('b:throw=EIO@1');
    expect(await outcome('b')).toBe('EIO');
    configureFailpoints('b:throw=EIO@1');
    expect(await outcome('b')).toBe('EIO');
  });
});
