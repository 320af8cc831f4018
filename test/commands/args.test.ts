/** Command-line parsing: globals before and after the command, short-option precedence, `--`. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/commands/args.js';
import { UsageError } from '../../src/errors.js';

const rm = {
  force: { type: 'boolean', short: 'f', description: '' },
  volumes: { type: 'boolean', description: '' },
} as const;

describe('parseCommandLine', () => {
  it('takes globals before the command and a command short option after it', () => {
    const parsed = parseCommandLine(['-f', 'ci.yml', '-C', 'proj', 'rm', '-f', '--volumes'], rm);
    expect(parsed.command).toBe('rm');
    expect(parsed.globals).toMatchObject({ file: 'ci.yml', dir: 'proj' });
    expect(parsed.options).toMatchObject({ force: true, volumes: true });
  });

  it('accepts long globals after the command, and global shorts that do not collide', () => {
    const parsed = parseCommandLine(['plan', '--json', '-C', 'x', '--file', 'y.yml'], {});
    expect(parsed.globals).toMatchObject({ json: true, dir: 'x', file: 'y.yml' });
  });

  it('keeps everything after -- apart, options included', () => {
    const parsed = parseCommandLine(['exec', 'box', '--', 'make', '-f', 'Makefile', '--json'], {});
    expect(parsed.positionals).toEqual(['box']);
    expect(parsed.rest).toEqual(['make', '-f', 'Makefile', '--json']);
    expect(parsed.globals.json).toBe(false);
  });

  it('reports unknown options and missing values as usage errors', () => {
    expect(() => parseCommandLine(['plan', '--nope'], {})).toThrow(/^unknown option --nope$/);
    expect(() => parseCommandLine(['plan', '--nope'], {})).toThrow(UsageError);
    expect(() => parseCommandLine(['-C'], {})).toThrow(UsageError);
  });
});
