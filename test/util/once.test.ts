/** once(): the first call computes, every later or concurrent call gets the same promise. */
import { describe, expect, it } from 'vitest';
import { once } from '../../src/util/once.js';

describe('once', () => {
  it('computes on the first call only, and concurrent first callers share that computation', async () => {
    let calls = 0;
    let release: (value: string) => void = () => undefined;
    const value = once(() => {
      calls += 1;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    });
    expect(calls).toBe(0);
    const first = value();
    const second = value();
    expect(second).toBe(first);
    release('done');
    expect(await Promise.all([first, second, value()])).toEqual(['done', 'done', 'done']);
    expect(calls).toBe(1);
  });

  it('keeps a failure: later calls see the same rejection without computing again', async () => {
    let calls = 0;
    const value = once(() => {
      calls += 1;
      return Promise.reject(new Error(`failed ${calls}`));
    });
    await expect(value()).rejects.toThrow('failed 1');
    await expect(value()).rejects.toThrow('failed 1');
    expect(calls).toBe(1);
  });
});
