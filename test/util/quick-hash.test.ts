import { describe, expect, it } from 'vitest';
import { quickHash } from '../../src/util/quick-hash.js';

/** cyrb53 as published: the low 21 bits of the high lane and the whole low lane. */
function cyrb53Of(hash: string): number {
  return 4294967296 * (2097151 & parseInt(hash.slice(0, 8), 16)) + parseInt(hash.slice(8), 16);
}

describe('quickHash', () => {
  it("is cyrb53 with both lanes kept: the published values of cyrb53's reference", () => {
    expect(cyrb53Of(quickHash('a'))).toBe(7929297801672961);
    expect(cyrb53Of(quickHash('b'))).toBe(8684336938537663);
    expect(cyrb53Of(quickHash('revenge'))).toBe(4051478007546757);
    expect(cyrb53Of(quickHash('revenue'))).toBe(8309097637345594);
  });

  it('hashes bytes as the string of those code units, and tells near inputs apart', () => {
    const text = 'name: dev\nbase: debian:12\n';
    expect(quickHash(Buffer.from(text, 'latin1'))).toBe(quickHash(text));
    expect(quickHash(text)).toMatch(/^[0-9a-f]{16}$/);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(quickHash(`${text}#${i}`));
    expect(seen.size).toBe(2000);
    expect(quickHash('')).not.toBe(quickHash('\0'));
  });
});
