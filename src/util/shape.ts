/**
 * Small typed checks for JSON that devenv reads on its hot paths (Docker's inspect output, the
 * embedded runtime's records, the plan cache). zod costs ~70 ms of module loading, more than the
 * whole check; these cost nothing to load. Each check returns the value typed, or throws a
 * {@link ShapeError} that names the path of the first value that does not fit (`State.Pid: expected
 * a number, got "x"`). Unknown keys are ignored and left out of the result, as zod's objects do.
 *
 * Use zod where a schema is also documentation or produces diagnostics for users (devenv.yml, the
 * settings file); use these where the input is a machine's and speed matters.
 */

/** A value that does not have the expected shape; `path` is where, `expected` what should be there. */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    got: unknown,
  ) {
    super(`${path === '' ? 'the value' : path}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ShapeError';
  }
}

/** Checks `value` (found at `path`) and returns it typed. */
export type Check<T> = (value: unknown, path: string) => T;

/** The type a check returns. */
export type Checked<C> = C extends Check<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${value}`;
  return typeof value;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export const string: Check<string> = (value, path) => {
  if (typeof value !== 'string') throw new ShapeError(path, 'a string', value);
  return value;
};

export const number: Check<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(path, 'a number', value);
  return value;
};

export const integer: Check<number> = (value, path) => {
  if (!Number.isSafeInteger(value)) throw new ShapeError(path, 'an integer', value);
  return value as number;
};

export const boolean: Check<boolean> = (value, path) => {
  if (typeof value !== 'boolean') throw new ShapeError(path, 'true or false', value);
  return value;
};

/** One of the given strings. */
export function oneOf<const T extends string>(...values: readonly T[]): Check<T> {
  return (value, path) => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
      throw new ShapeError(path, `one of ${values.join(', ')}`, value);
    return value as T;
  };
}

/** `check`, or undefined when the value is missing (undefined). */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

/** `check`, or undefined when the value is missing or null (Docker's Go JSON writes null for empty). */
export function nullish<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined || value === null ? undefined : check(value, path));
}

/** `check`, or `fallback` when the value is missing or null. */
export function withDefault<T>(check: Check<T>, fallback: T): Check<T> {
  return (value, path) => (value === undefined || value === null ? fallback : check(value, path));
}

export function array<T>(check: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new ShapeError(path, 'an array', value);
    return value.map((item, index) => check(item, join(path, index)));
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object whose every value passes `check` (labels, env maps). */
export function record<T>(check: Check<T>): Check<Record<string, T>> {
  return (value, path) => {
    if (!isPlainObject(value)) throw new ShapeError(path, 'an object', value);
    const out: Record<string, T> = {};
    for (const [key, item] of Object.entries(value)) out[key] = check(item, join(path, key));
    return out;
  };
}

type Shape = Readonly<Record<string, Check<unknown>>>;
type Optionals<S extends Shape> = {
  [K in keyof S]: undefined extends Checked<S[K]> ? K : never;
}[keyof S];
type ShapeOf<S extends Shape> = {
  [K in Exclude<keyof S, Optionals<S>>]: Checked<S[K]>;
} & { [K in Optionals<S>]?: Checked<S[K]> };
type Flat<T> = { [K in keyof T]: T[K] };

/** An object with the keys of `shape`, each checked; other keys are dropped. */
export function object<S extends Shape>(shape: S): Check<Flat<ShapeOf<S>>> {
  const entries = Object.entries(shape);
  return (value, path) => {
    if (!isPlainObject(value)) throw new ShapeError(path, 'an object', value);
    const out: Record<string, unknown> = {};
    for (const [key, check] of entries) {
      const item = check(Object.hasOwn(value, key) ? value[key] : undefined, join(path, key));
      if (item !== undefined) out[key] = item;
    }
    return out as Flat<ShapeOf<S>>;
  };
}

/**
 * An object with the keys of `shape` checked and every other key kept as it came (zod's
 * `looseObject`), for a document devenv reads part of and passes on whole (an image config).
 */
export function looseObject<S extends Shape>(shape: S): Check<Flat<ShapeOf<S>> & Record<string, unknown>> {
  const known = object(shape);
  return (value, path) => ({ ...(value as Record<string, unknown>), ...known(value, path) });
}

/**
 * An object with exactly the keys of `shape`: a key it does not name fails (zod's `strictObject`),
 * for records devenv writes itself, where an unknown key means the file is not what it wrote.
 */
export function exactObject<S extends Shape>(shape: S): Check<Flat<ShapeOf<S>>> {
  const known = object(shape);
  return (value, path) => {
    const out = known(value, path);
    for (const key of Object.keys(value as object))
      if (!Object.hasOwn(shape, key))
        throw new ShapeError(join(path, key), 'no such key', (value as never)[key]);
    return out;
  };
}

/** `check`, and then `test` on its result; `expected` says what passes (`a positive integer`). */
export function refine<T>(check: Check<T>, test: (value: T) => boolean, expected: string): Check<T> {
  return (value, path) => {
    const out = check(value, path);
    if (!test(out)) throw new ShapeError(path, expected, value);
    return out;
  };
}

/** A string that matches `pattern`; `expected` says what passes (`sha256:<64 hex digits>`). */
export function matching(pattern: RegExp, expected: string): Check<string> {
  return refine(string, (value) => pattern.test(value), expected);
}

/** Exactly `wanted` (a format version). */
export function literal<const T extends string | number | boolean>(wanted: T): Check<T> {
  return (value, path) => {
    if (value !== wanted) throw new ShapeError(path, JSON.stringify(wanted), value);
    return wanted;
  };
}

/** Runs `check` on `value` from the top; a ShapeError names paths from there. */
export function parseShape<T>(check: Check<T>, value: unknown): T {
  return check(value, '');
}

/** Parses JSON text and checks it; a SyntaxError or ShapeError comes out as is. */
export function parseJsonShape<T>(check: Check<T>, text: string): T {
  return check(JSON.parse(text) as unknown, '');
}
