/** Diagnostics written for the user: a repeated problem once with a count, field errors in plain words. */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { validateConfigText } from '../../src/config/validate.js';

const options = { file: '/p/devenv.yml', projectDir: '/p', homeDir: '/home/u' };

function problems(text: string) {
  const result = validateConfigText(text, options);
  expect(result.ok).toBe(false);
  return result.diagnostics.filter((d) => d.severity === 'error');
}

describe('diagnostic messages', () => {
  it('an alias bomb is one error that counts the other 69, at the first alias', () => {
    const aliases = Array.from({ length: 70 }, (_, i) => `  B${i}: *a`).join('\n');
    const errors = problems(`name: x\nbase: alpine\nenv:\n  A: &a v\n${aliases}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'alias', line: 5, repeats: 69 });
    expect(formatDiagnostic(errors[0]!)).toContain('aliases are not allowed (*a) (…and 69 more like it)');
  });

  it('different problems are all kept', () => {
    const errors = problems('base: alpine\npakages: [git]\nnetwork: bridged\n');
    expect(errors).toHaveLength(2);
    expect(errors.every((d) => d.repeats === undefined)).toBe(true);
  });

  it('a bad variable name says what is wrong with it, not what the field is', () => {
    const errors = problems('base: alpine\nenv:\n  "BAD KEY": x\nbuild:\n  args:\n    "1X": y\n');
    expect(errors.map(formatDiagnostic)).toEqual([
      expect.stringContaining(
        'env["BAD KEY"]: "BAD KEY" is not a valid variable name: use letters, digits and _, not starting with a digit',
      ),
      expect.stringContaining('"1X" is not a valid variable name'),
    ]);
    for (const d of errors) expect(d.message).not.toMatch(/names must match|\^\[A-Za-z_\]/);
  });
});
