import { describe, expect, expectTypeOf, it } from 'vitest';
import {
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

  it('does not take keys from the prototype', () => {
    const input = Object.create({ Id: 'inherited' }) as object;
    expect(() => parseShape(object({ Id: string }), input)).toThrow('Id: expected a string');
  });
});
