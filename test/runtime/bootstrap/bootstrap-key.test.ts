/** The key that decides whether a bootstrap base is reused, and the LABEL change that carries it. */
import { describe, expect, it } from 'vitest';
import { bootstrapKey, labelChange } from '../../../src/runtime/bootstrap/bootstrap-key.js';

describe('bootstrap key', () => {
  const spec = {
    distribution: 'debian',
    suite: 'bookworm',
    variant: 'minbase',
    mirror: 'http://m.test/debian',
  } as const;

  it('names distribution, suite, variant and mirror, each of which changes it', () => {
    const key = bootstrapKey(spec);
    expect(key).toBe('debian:bookworm minbase http://m.test/debian');
    const others = [
      bootstrapKey({ ...spec, distribution: 'ubuntu' }),
      bootstrapKey({ ...spec, suite: 'trixie' }),
      bootstrapKey({ ...spec, variant: 'buildd' }),
      bootstrapKey({ ...spec, mirror: 'http://other.test/debian' }),
    ];
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it('does not change with a trailing slash on the mirror', () => {
    expect(bootstrapKey({ ...spec, mirror: 'http://m.test/debian/' })).toBe(bootstrapKey(spec));
  });

  it('quotes the label value so spaces, quotes, backslashes and $ reach the label unchanged', () => {
    expect(labelChange('dev.devenv.bootstrap', 'a b "c" \\d $e')).toBe(
      'LABEL dev.devenv.bootstrap="a b \\"c\\" \\\\d \\$e"',
    );
  });
});
