/**
 * Variable expansion with Docker's shell-lexer rules; the ENV case is one `docker build` (20.10,
 * classic builder) was seen to record as `ENV PATH=/p:/usr/… HOME=~ E=a b Q=$x R=-d`.
 */
import { describe, expect, it } from 'vitest';
import {
  ExpandError,
  envLookup,
  expandToWords,
  expandWord,
  expandWords,
} from '../../../src/image/dockerfile/index.js';

const vars = envLookup(['A=1', 'EMPTY=', 'SP=a  b', 'PATH=/bin', 'A=shadowed']);

describe('expandWords', () => {
  it.each([
    ['$A', '1'],
    ['${A}x', '1x'],
    ['$NOPE-x', '-x'],
    ['${NOPE:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${NOPE-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${NOPE+alt}', ''],
    ['${NOPE:-$A}', '1'],
    ["'$A'", '$A'],
    ['"$A b"', '1 b'],
    ['"a\\"b\\$A\\n"', 'a"b$A\\n'],
    ['a\\ b', 'a b'],
    ['\\$A', '$A'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1x', 'x'],
    ['/p:$PATH', '/p:/bin'],
    ['~', '~'],
  ])('%s → %s', (word, expected) => {
    expect(expandWords(word, vars)).toBe(expected);
  });

  it('uses the first definition of a name, as Docker lists ENV before build args', () => {
    expect(expandWords('$A', vars)).toBe('1');
  });

  it.each([
    ["'open", 'single-quote'],
    ['"open', 'double-quote'],
    ['${', "missing '}'"],
    ['${A', "missing ':'"],
    ['${:x}', 'bad substitution'],
    ['${A?x}', "missing ':'"],
    ['${A:?x}', 'unsupported modifier'],
  ])('rejects %s', (word, message) => {
    expect(() => expandWords(word, vars)).toThrow(ExpandError);
    expect(() => expandWords(word, vars)).toThrow(message);
  });

  it('honours a backtick escape character', () => {
    expect(expandWord('a` b`$A', vars, '`')).toBe('a b$A');
    expect(expandWord('C:\\dir', vars, '`')).toBe('C:\\dir');
  });

  it('splits into words only where a variable or unquoted text has blanks (EXPOSE)', () => {
    expect(expandToWords('$SP', vars)).toEqual(['a', 'b']);
    expect(expandToWords('"$SP"', vars)).toEqual(['a  b']);
    expect(expandToWords('x$A', vars)).toEqual(['x1']);
  });
});
