/** `.dockerignore` patterns as the docker CLI applies them. */
import { describe, expect, it } from 'vitest';
import { dockerignoreMatcher } from '../../../src/image/build/dockerignore.js';

describe('dockerignoreMatcher', () => {
  it('leaves out what a pattern names, its contents too, unless a later ! takes it back', () => {
    const ignored = dockerignoreMatcher(
      ['# build output', 'node_modules', '/dist/', '*.log', '!keep.log', 'docs/**/*.tmp', 'a?c', ''].join(
        '\n',
      ),
    );
    expect(ignored('node_modules')).toBe(true);
    expect(ignored('node_modules/x/index.js')).toBe(true);
    expect(ignored('dist/app.js')).toBe(true);
    expect(ignored('src/dist.ts')).toBe(false);
    expect(ignored('error.log')).toBe(true);
    expect(ignored('keep.log')).toBe(false);
    expect(ignored('sub/error.log')).toBe(false);
    expect(ignored('docs/a/b/c.tmp')).toBe(true);
    expect(ignored('docs/c.tmp')).toBe(true);
    expect(ignored('abc')).toBe(true);
    expect(ignored('abbc')).toBe(false);
    expect(ignored('README.md')).toBe(false);
  });

  it('an empty file or only comments leaves everything in', () => {
    expect(dockerignoreMatcher('# nothing\n\n')('anything')).toBe(false);
  });
});
