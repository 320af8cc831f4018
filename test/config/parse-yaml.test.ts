/** Hostile YAML (docs/reliability.md, Y1-Y5, Y8): each is refused with a clear message and a position. */
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/parse-yaml.js';

function errorsOf(text: string) {
  return parseYaml(text, 'devenv.yml').diagnostics.map((d) => ({
    code: d.code,
    message: d.message,
    line: d.line,
    col: d.col,
  }));
}

describe('parseYaml', () => {
  it('parses a plain document and locates keys and values', () => {
    const parsed = parseYaml('name: x\npackages:\n  - git\n  - make\n', 'devenv.yml');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.value).toEqual({ name: 'x', packages: ['git', 'make'] });
    expect(parsed.locate(['packages', 1])).toEqual({ line: 4, col: 5 });
    expect(parsed.locate(['packages'], 'key')).toEqual({ line: 2, col: 1 });
    expect(parsed.locate(['missing', 'deeper'])).toEqual({ line: 1, col: 1 });
  });

  it('Y1: refuses a billion-laughs alias bomb quickly and without expanding it', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const start = Date.now();
    const errors = errorsOf(lines.join('\n'));
    // Expanding the aliases would take hours; 10 s is a bound a busy machine still meets.
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(errors[0]).toMatchObject({ code: 'alias', message: 'aliases are not allowed (*a)', line: 2 });
  });

  it('Y2: refuses a YAML 1.1 directive and a self-referencing merge key', () => {
    expect(errorsOf('%YAML 1.1\n---\na: &A {<<: *A}\n')).toContainEqual(
      expect.objectContaining({ code: 'yaml-version', line: 1, col: 1 }),
    );
    const merge = errorsOf('base: &b {x: 1}\nother:\n  <<: *b\n');
    expect(merge.map((e) => e.code).sort()).toEqual(['alias', 'merge-key']);
  });

  it('Y3: refuses deep nesting and oversized input', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const errors = errorsOf(`x: ${deep}`);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('too-deep');
    expect(errorsOf(`x: "${'a'.repeat(1024 * 1024 + 10)}"`)[0]).toMatchObject({ code: 'file-too-large' });
  });

  it('Y4: a duplicate key is an error at the second key, never last-wins', () => {
    expect(errorsOf('name: a\nbase: x\nname: b\n')[0]).toMatchObject({
      code: 'yaml-duplicate-key',
      line: 3,
      col: 1,
      message: expect.stringContaining('duplicate key'),
    });
  });

  it('Y4: several documents in one file are an error', () => {
    expect(errorsOf('name: a\n---\nname: b\n')[0]).toMatchObject({ code: 'yaml-multiple-docs', line: 2 });
  });

  it('Y5: prototype keys are refused anywhere, and nothing is polluted', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const errors = errorsOf(`env:\n  ${key}: {polluted: yes}\n`);
      expect(errors[0]).toMatchObject({
        code: 'forbidden-key',
        line: 2,
        col: 3,
        message: `"${key}" cannot be used as a key`,
      });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses custom tags and complex keys', () => {
    expect(errorsOf('x: !!binary aGVsbG8=\n')[0]?.code).toBe('tag');
    expect(errorsOf('? [a, b]\n: c\n')[0]?.code).toBe('complex-key');
  });

  it('refuses NUL bytes and reports YAML syntax errors with their position', () => {
    expect(errorsOf('name: a\0b\n')[0]).toMatchObject({ code: 'nul-byte', line: 1, col: 8 });
    const syntax = errorsOf('name: [a, b\nbase: x\n');
    expect(syntax[0]?.line).toBeGreaterThanOrEqual(1);
    expect(syntax[0]?.message).toMatch(/^invalid YAML: /);
  });

  it('keeps the source text of scalars (0755 is not 755)', () => {
    expect(parseYaml('env: {UMASK: 0755}\n', 'f').sourceAt(['env', 'UMASK'])).toBe('0755');
  });
});
