/**
 * The Dockerfile parser: Docker's continuation, comment, flag and exec-form rules, and a FILE:LINE
 * error with a hint for everything the builder would not honour.
 */
import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import { parseDockerfile } from '../../../src/image/dockerfile/index.js';
import { splitFlags, splitWords } from '../../../src/image/dockerfile/words.js';

const parse = (text: string) => parseDockerfile(text, 'Dockerfile');
const only = (text: string) => parse(`FROM scratch\n${text}`).stages[0]?.instructions[0];

function errorOf(text: string): DevenvError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof DevenvError) return error;
    throw error;
  }
  throw new Error('expected a DevenvError');
}

describe('parseDockerfile', () => {
  it('splits global ARGs and stages, keeps lines 1-based and lower-cases stage names', () => {
    const parsed = parse('ARG V=1\n# comment\n\nFROM img:$V AS Build\nRUN make\nfrom build\ncopy a b\n');
    expect(parsed.globalArgs.map((i) => [i.keyword, i.line, i.text])).toEqual([['ARG', 1, 'V=1']]);
    expect(parsed.stages.map((s) => [s.name, s.from.line, s.from.text])).toEqual([
      ['build', 4, 'img:$V AS Build'],
      [undefined, 6, 'build'],
    ]);
    expect(parsed.stages[1]?.instructions[0]).toMatchObject({ keyword: 'COPY', line: 7, text: 'a b' });
  });

  it('joins continuation lines as Docker does: blanks before the escape kept, comment and empty lines dropped', () => {
    const parsed = parse(
      'FROM x\nRUN echo a \\\n  # inner comment\n    && echo "b"  \\\n\n  && c\nENV Z=1\n',
    );
    const [run, env] = parsed.stages[0]?.instructions ?? [];
    expect(run).toMatchObject({ line: 2, text: 'echo a     && echo "b"    && c', json: undefined });
    expect(env).toMatchObject({ keyword: 'ENV', line: 7 });
  });

  it('follows the escape directive', () => {
    const parsed = parse('# escape=`\nFROM x\nRUN dir C:\\a `\n  && echo b\n');
    expect(parsed.escape).toBe('`');
    expect(parsed.stages[0]?.instructions[0]?.text).toBe('dir C:\\a   && echo b');
  });

  it('reads exec form only from a JSON string array; invalid JSON is shell form', () => {
    expect(only('RUN ["echo", "a b"]')?.json).toEqual(['echo', 'a b']);
    expect(only("RUN ['echo', 'a']")).toMatchObject({ json: undefined, text: "['echo', 'a']" });
    expect(only('RUN [echo a]')?.json).toBeUndefined();
    expect(only('CMD ["a" "b"]')?.json).toBeUndefined();
    // Go's decoder reads the first JSON value and ignores what follows.
    expect(only('CMD ["a"] trailing')?.json).toEqual(['a']);
    expect(only('ENV A=["x"]')?.json).toBeUndefined();
  });

  it('splits leading --flags off, quotes removed, and only those', () => {
    const copy = only('COPY --chown="1:2" --from=build ["--x", "/d/"]');
    expect(copy).toMatchObject({ flags: { chown: '1:2', from: 'build' }, json: ['--x', '/d/'] });
    expect(parse('FROM --platform=linux/amd64 x AS y').stages[0]?.from.flags).toEqual({
      platform: 'linux/amd64',
    });
    expect(only('RUN echo --not-a-flag')?.flags).toEqual({});
  });

  it.each([
    ['', 'Dockerfile: the Dockerfile has no instructions'],
    ['# only a comment\n', 'Dockerfile: the Dockerfile has no instructions'],
    ['ARG A=1\n', 'Dockerfile: the Dockerfile has no FROM'],
    ['RUN x\nFROM y\n', 'Dockerfile:1: RUN before the first FROM'],
    ['FROM x\nONBUILD RUN a\n', 'Dockerfile:2: ONBUILD is not supported'],
    ['FROM x\nHEALTHCHECK CMD true\n', 'Dockerfile:2: HEALTHCHECK is not supported'],
    ['FROM x\n\nFROBNICATE a\n', 'Dockerfile:3: unknown instruction FROBNICATE'],
    ['FROM x\nRUN --mount=type=cache,target=/c make\n', 'Dockerfile:2: RUN --mount is not supported'],
    ['FROM x\nRUN --network=none make\n', 'Dockerfile:2: RUN --network is not supported'],
    ['FROM x\nCOPY --link a b\n', 'Dockerfile:2: COPY --link is not supported'],
    ['FROM x\nADD --from=y a b\n', 'Dockerfile:2: ADD --from is not supported'],
    ['FROM x\nENV --a=1 b=2\n', 'Dockerfile:2: ENV --a is not supported'],
    ['FROM x\nRUN <<EOF\necho hi\nEOF\n', 'Dockerfile:2: heredocs (<<WORD) in RUN are not supported'],
    ['FROM x\nCOPY <<EOF /f\nhi\nEOF\n', 'Dockerfile:2: heredocs (<<WORD) in COPY are not supported'],
    ['FROM x\nCMD ["a", 1]\n', 'Dockerfile:2: CMD: a JSON array must hold strings only'],
    ['FROM x AS a\nFROM y AS A\n', 'Dockerfile:2: stage name "a" is already used'],
    ['FROM x AS 1a\n', 'Dockerfile:1: invalid stage name "1a"'],
    ['FROM x y\n', 'Dockerfile:1: FROM takes an image'],
  ])('refuses %j with FILE:LINE and a hint', (text, message) => {
    const error = errorOf(text);
    expect(error.code).toBe('DEVENV_CONFIG_INVALID');
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.hint).toMatch(/\w/);
  });

  it('accepts MAINTAINER and lower-case keywords', () => {
    expect(only('maintainer Jane <j@example.com>')).toMatchObject({
      keyword: 'MAINTAINER',
      text: 'Jane <j@example.com>',
    });
  });
});

describe('word splitting', () => {
  it('splits flags as Docker does: quotes removed, backslash escapes, a lone -- ends them', () => {
    expect(splitFlags(`--a="x y" --b='p\\'q' -- --c rest`)).toEqual({
      flags: ['a=x y', "b=p'q"],
      rest: '--c rest',
    });
    expect(splitFlags('--only')).toEqual({ flags: ['only'], rest: '' });
  });

  it('keeps quotes and escapes in KEY=VALUE words; the escape is literal in single quotes', () => {
    expect(splitWords(`a="b c" d\\ e f='g\\ h'`, '\\')).toEqual(['a="b c"', 'd\\ e', "f='g\\ h'"]);
    expect(splitWords('a=`"b c` d', '`')).toEqual(['a=`"b', 'c` d']);
  });
});
