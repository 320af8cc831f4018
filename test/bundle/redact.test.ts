/** Proxy credentials written into devenv.yml never travel in a bundle; everything else stays as written. */
import { describe, expect, it } from 'vitest';
import { redactProxyCredentials } from '../../src/bundle/redact.js';

describe('redactProxyCredentials', () => {
  it('removes user and password from proxy URLs and keeps comments and the rest', () => {
    const text =
      '# my env\nname: x\nbase: alpine\nproxy:\n  http: http://me:s3cret@proxy:3128 # corporate\n  noProxy: [localhost]\n';
    const result = redactProxyCredentials(text);
    expect(result.redacted).toBe(true);
    expect(result.text).not.toContain('s3cret');
    expect(result.text).not.toContain('//me:');
    expect(result.text).toContain('http: http://proxy:3128 # corporate');
    expect(result.text.startsWith('# my env\nname: x\n')).toBe(true);
  });

  it('leaves a file without credentials byte-identical', () => {
    for (const text of [
      'name: x\nbase: alpine\n',
      'base: a\nproxy: inherit\n',
      'base: a\nproxy: {http: "http://proxy:3128"}\n',
    ]) {
      expect(redactProxyCredentials(text)).toEqual({ text, redacted: false });
    }
  });
});
