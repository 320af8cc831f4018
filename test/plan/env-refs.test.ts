import { describe, expect, it } from 'vitest';
import { envListToMap, parseEnvValue, resolveEnvRefs } from '../../src/plan/env-refs.js';

describe('env references', () => {
  it('splits values into literal text and references; $$ is a literal dollar', () => {
    expect(parseEnvValue('/opt/bin:$PATH')).toEqual([{ text: '/opt/bin:' }, { ref: 'PATH' }]);
    expect(parseEnvValue('${HOME}/x$$y $ 5$')).toEqual([{ ref: 'HOME' }, { text: '/x$y $ 5$' }]);
    expect(parseEnvValue('${HOME:-/root}')).toEqual([{ text: '${HOME:-/root}' }]);
    expect(parseEnvValue('')).toEqual([]);
  });

  it('resolves against the image environment; an unknown name is empty, the first definition wins', () => {
    const image = ['PATH=/usr/bin:/bin', 'EMPTY=', 'PATH=/ignored', 'NOEQ'];
    expect(envListToMap(image).get('PATH')).toBe('/usr/bin:/bin');
    expect(
      resolveEnvRefs(
        { PATH: '/opt/bin:$PATH', A: '${EMPTY}x', B: '$MISSING-y', C: 'cost $$5', D: '$NOEQ' },
        image,
      ),
    ).toEqual({ PATH: '/opt/bin:/usr/bin:/bin', A: 'x', B: '-y', C: 'cost $5', D: '' });
  });
});
