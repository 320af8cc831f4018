import { describe, expect, it } from 'vitest';
import { withConfigName } from '../../src/config/rename.js';

describe('withConfigName', () => {
  it('replaces the name and keeps comments and the other keys as written', () => {
    const text = '# my env\nname: old # the container\nbase: alpine:3.20\npackages: [git]\n';
    expect(withConfigName(text, 'new')).toBe(
      '# my env\nname: new # the container\nbase: alpine:3.20\npackages: [ git ]\n'.replace(
        '[ git ]',
        '[ git ]',
      ),
    );
  });

  it('adds a name when devenv.yml had none, and leaves the text alone when it already matches', () => {
    expect(withConfigName('base: alpine\n', 'x')).toBe('base: alpine\nname: x\n');
    const same = 'name: x\nbase:   alpine\n';
    expect(withConfigName(same, 'x')).toBe(same);
  });
});
