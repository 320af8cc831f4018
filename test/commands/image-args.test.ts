/** Image references on the command line: exactly one where one is taken, and a valid one, else exit 2. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/commands/args.js';
import { checkedReference, singleReference } from '../../src/commands/image-args.js';

const argsOf = (...argv: string[]) => parseCommandLine(['pull', ...argv], {});

describe('singleReference', () => {
  it('returns the one reference given', () => {
    expect(singleReference(argsOf('ubuntu:24.04'), 'pull', 'hint')).toBe('ubuntu:24.04');
  });

  it('refuses none or two with the verb and the hint, exit 2', () => {
    for (const args of [argsOf(), argsOf('a', 'b')])
      expect(() => singleReference(args, 'pull', 'example: devenv pull ubuntu')).toThrow(
        expect.objectContaining({
          message: 'pull takes one image reference',
          hint: 'example: devenv pull ubuntu',
          exitCode: 2,
        }),
      );
  });

  it('refuses an invalid reference, naming it', () => {
    expect(() => singleReference(argsOf('Bad Ref'), 'push', '')).toThrow(/^Bad Ref: /);
    expect(() => checkedReference('two words')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
