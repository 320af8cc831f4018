import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  exactObject,
  literal,
  looseObject,
  matching,
  refine,
  array,
  boolean,
  integer,
  nullish,
  number,
  object,
  oneOf,
  optional,
  parseJsonShape,
  parseShape,
  record,
  ShapeError,
  string,
  withDefault,
} from '../../src/util/shape.js';

const Container = object({
  Id: string,
  State: object({ Status: oneOf('running', 'exited'), Pid: integer, Running: optional(boolean) }),
  Labels: withDefault(record(string), {}),
  Cmd: nullish(array(string)),
  Size: optional(number),
});

describe('shape checks', () => {
  it('returns the checked value typed, drops unknown keys and fills defaults', () => {
    const value = parseShape(Container, {
      Id: 'abc',
      State: { Status: 'running', Pid: 7, Extra: 1 },
      Labels: null,
      Cmd: null,
      Other: 'dropped',
    });
    expect(value).toEqual({ Id: 'abc', State: { Status: 'running', Pid: 7 }, Labels: {} });
    expectTypeOf(value.State.Status).toEqualTypeOf<'running' | 'exited'>();
    expectTypeOf(value.Cmd).toEqualTypeOf<string[] | undefined>();
  });

  it.each([
    [{ State: { Status: 'running', Pid: 1 } }, 'Id: expected a string, got undefined'],
    [
      { Id: 'a', State: { Status: 'paused', Pid: 1 } },
      'State.Status: expected one of running, exited, got "paused"',
    ],
    [{ Id: 'a', State: { Status: 'exited', Pid: 1.5 } }, 'State.Pid: expected an integer, got 1.5'],
    [{ Id: 'a', State: { Status: 'exited', Pid: 1 }, Cmd: ['sh', 2] }, 'Cmd[1]: expected a string, got 2'],
    [
      { Id: 'a', State: { Status: 'exited', Pid: 1 }, Labels: { a: null } },
      'Labels.a: expected a string, got null',
    ],
    [{ Id: 'a', State: [] }, 'State: expected an object, got an array'],
    ['text', 'the value: expected an object, got "text"'],
  ])('names the first value that does not fit: %j', (input, message) => {
    expect(() => parseShape(Container, input)).toThrow(new ShapeError('', '', undefined).constructor);
    expect(() => parseShape(Container, input)).toThrow(message);
  });

  it('parses JSON text, letting a syntax error through', () => {
    expect(parseJsonShape(object({ a: number }), '{"a": 2}')).toEqual({ a: 2 });
    expect(() => parseJsonShape(object({ a: number }), '{"a": ')).toThrow(SyntaxError);
    expect(() => parseJsonShape(object({ a: number }), '{"a": Infinity}')).toThrow(SyntaxError);
    expect(() => parseShape(number, Number.NaN)).toThrow('expected a number');
  });

  it('exact objects refuse a key they do not name; loose objects keep it as it came', () => {
    const exact = exactObject({ a: number, b: optional(string) });
    expect(parseShape(exact, { a: 1 })).toEqual({ a: 1 });
    expect(() => parseShape(exact, { a: 1, c: true })).toThrow('c: expected no such key, got true');
    expect(() => parseShape(object({ in: exact }), { in: { a: 'x' } })).toThrow('in.a: expected a number');
    const loose = looseObject({ a: number, n: nullish(array(string)) });
    const value = parseShape(loose, { a: 1, n: null, history: [{ created_by: 'x' }] });
    expect(value).toEqual({ a: 1, n: null, history: [{ created_by: 'x' }] });
    expect(() => parseShape(loose, { a: '1' })).toThrow('a: expected a number, got "1"');
  });

  it('refinements, patterns and literals say what passes', () => {
    const size = refine(number, (n) => n >= 0, 'a size');
    expect(parseShape(size, 0)).toBe(0);
    expect(() => parseShape(object({ size }), { size: -1 })).toThrow('size: expected a size, got -1');
    const hex = matching(/^[a-f0-9]+$/, 'hex digits');
    expect(() => parseShape(array(hex), ['ab', 'xy'])).toThrow('[1]: expected hex digits, got "xy"');
    expect(parseShape(literal(1), 1)).toBe(1);
    expect(() => parseShape(literal(1), '1')).toThrow('expected 1, got "1"');
  });

  it('does not take keys from the prototype', () => {
    const input = Object.create({ Id: 'inherited' }) as object;
    expect(() => parseShape(object({ Id: string }), input)).toThrow('Id: expected a string');
  });
});
