/**
 * The lean start (src/util/optimizer.ts), read from V8 itself in a child node: a function asked to
 * be optimized is not while the start is lean, and is again once the optimizer is turned on, by a
 * hot path or by the timer.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { childScript } from '../helpers/child-script.js';

async function probe(
  mode: 'call' | 'digest' | 'timer',
): Promise<{ before: boolean; lean: boolean; after: boolean }> {
  const script = childScript(new URL('./helpers/optimizer-child.ts', import.meta.url));
  const result = await execa(process.execPath, ['--allow-natives-syntax', script, mode], { timeout: 60_000 });
  return JSON.parse(result.stdout) as { before: boolean; lean: boolean; after: boolean };
}

describe('the lean start', { timeout: 90_000 }, () => {
  it('turns the optimizer off, and a hot path turns it on again', async () => {
    expect(await probe('call')).toEqual({ before: true, lean: false, after: true });
  });

  it('hashing a layer (a hot path) turns it on as it starts', async () => {
    expect(await probe('digest')).toEqual({ before: true, lean: false, after: true });
  });

  it('a command that runs longer than a second gets it back by itself', async () => {
    expect(await probe('timer')).toEqual({ before: true, lean: false, after: true });
  });
});
