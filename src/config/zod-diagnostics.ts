/**
 * Turns zod issues into located {@link Diagnostic}s: picks the branch of a union the user meant,
 * names unknown keys with a "did you mean", and maps every path to `line:col` in the source.
 */
import type { z } from 'zod';
import type { Diagnostic } from './diagnostic.js';
import { sortDiagnostics } from './diagnostic.js';
import type { ParsedYaml } from './parse-yaml.js';
import { valueAt } from './parse-yaml.js';
import { suggest } from './suggest.js';

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];
type AnySchema = z.core.$ZodType;

/** Converts every issue of a failed parse into diagnostics, each located in `file`. */
export function issuesToDiagnostics(
  issues: readonly Issue[],
  schema: AnySchema,
  file: string,
  locate: ParsedYaml['locate'],
  input: unknown,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) collect(issue, [], schema, file, locate, input, out);
  return sortDiagnostics(out);
}

function collect(
  issue: Issue,
  base: Path,
  schema: AnySchema,
  file: string,
  locate: ParsedYaml['locate'],
  input: unknown,
  out: Diagnostic[],
): void {
  const path: Path = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  const push = (
    d: Omit<Diagnostic, 'severity' | 'file' | 'line' | 'col'>,
    which: 'key' | 'value' = 'value',
  ) => {
    const pos = locate(d.path, which);
    out.push({ severity: 'error', file, line: pos?.line, col: pos?.col, ...d });
  };
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(schema, path);
      for (const key of issue.keys) {
        const guess = suggest(key, known);
        push(
          {
            code: 'unknown-key',
            message: `unknown key "${key}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
            path: [...path, key],
            hint: guess === undefined ? `known keys here: ${known.join(', ')}` : `rename it to "${guess}"`,
          },
          'key',
        );
      }
      return;
    }
    case 'invalid_union': {
      const value = valueAt(input, path);
      if (value === undefined) {
        const key = String(path[path.length - 1]);
        push(
          {
            code: 'missing-key',
            message: `"${key}" is required`,
            path: path.slice(0, -1),
            hint: `add ${key}: …`,
          },
          'key',
        );
        return;
      }
      const best = pickBranch(issue.errors, value);
      if (best === undefined) {
        const words = typeof value === 'string' ? literalChoices(issue.errors) : undefined;
        if (words !== undefined && typeof value === 'string') {
          push(notOneOf(value, words.values, path, words.orMap ? ' or a map of settings' : ''));
          return;
        }
        push({ code: 'invalid-value', message: describeUnionMismatch(issue, value), path });
        return;
      }
      for (const inner of best) collect(inner, path, schema, file, locate, input, out);
      return;
    }
    case 'invalid_key': {
      for (const inner of issue.issues) push({ code: 'invalid-key', message: inner.message, path }, 'key');
      return;
    }
    case 'invalid_element': {
      for (const inner of issue.issues) push({ code: 'invalid-value', message: inner.message, path });
      return;
    }
    case 'invalid_type': {
      const value = valueAt(input, path);
      if (value === undefined) {
        push(
          {
            code: 'missing-key',
            message: `"${String(path[path.length - 1])}" is required`,
            path: path.slice(0, -1),
            hint: `add ${String(path[path.length - 1])}: …`,
          },
          'key',
        );
      } else {
        push({
          code: 'wrong-type',
          message: `expected ${issue.expected}, got ${describeValue(value)}`,
          path,
          hint: hintForType(issue.expected, value),
        });
      }
      return;
    }
    case 'invalid_value': {
      push(notOneOf(valueAt(input, path), issue.values, path, ''));
      return;
    }
    case 'too_small':
    case 'too_big': {
      push({ code: 'out-of-range', message: issue.message.replace(/^Too (small|big): /, ''), path });
      return;
    }
    default: {
      const params = (issue as { params?: { devenv?: string; hint?: string } }).params;
      push({ code: params?.devenv ?? 'invalid-value', message: issue.message, path, hint: params?.hint });
    }
  }
}

/** "x is not one of a, b (did you mean b?)", with a hint that writes the fix out. */
function notOneOf(
  value: unknown,
  choices: readonly unknown[],
  path: Path,
  more: string,
): Omit<Diagnostic, 'severity' | 'file' | 'line' | 'col'> {
  const options = choices.map((v) => JSON.stringify(v)).join(', ');
  const guess = typeof value === 'string' ? suggest(value, choices.map(String)) : undefined;
  const key = path.findLast((p) => typeof p === 'string');
  const fix = guess !== undefined && key !== undefined ? `write ${key}: ${guess}` : undefined;
  return {
    code: 'invalid-value',
    message: `${describeValue(value)} is not one of ${options}${more}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
    path,
    hint: fix ?? `use one of: ${choices.map(String).join(', ')}${more}`,
  };
}

/**
 * The words a union of literals (and maybe one map) accepts, such as `root | host | {name, uid}`,
 * read from the branches that each refused the value at the top.
 */
function literalChoices(
  branches: readonly (readonly Issue[])[],
): { values: unknown[]; orMap: boolean } | undefined {
  const values: unknown[] = [];
  let orMap = false;
  for (const branch of branches) {
    const top = branch.find((i) => i.path.length === 0);
    if (top?.code === 'invalid_value') values.push(...top.values);
    else if (top?.code === 'invalid_type' && top.expected === 'object') orMap = true;
    else return undefined;
  }
  return values.length > 0 ? { values, orMap } : undefined;
}

/** The union branch the user most likely meant: the one whose keys and types fit the value best. */
function pickBranch(branches: readonly (readonly Issue[])[], value: unknown): readonly Issue[] | undefined {
  let best: readonly Issue[] | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const branch of branches) {
    if (branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')))
      continue;
    let score = 0;
    for (const i of branch) {
      if (i.code === 'unrecognized_keys' && i.path.length === 0) score += 10 * i.keys.length;
      else if (
        i.code === 'invalid_type' &&
        i.path.length === 1 &&
        valueAt(value, i.path as Path) === undefined
      )
        score += 10;
      else score += 1;
    }
    if (score < bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function describeUnionMismatch(issue: Issue, value: unknown): string {
  const custom = issue.message !== 'Invalid input' ? issue.message : undefined;
  return custom ?? `${describeValue(value)} does not fit here`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${value.toString()}`;
  return typeof value;
}

function hintForType(expected: string, value: unknown): string | undefined {
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean'))
    return 'put the value in quotes';
  if (expected === 'array' && typeof value === 'string') return `write it as a list: [${value}]`;
  return undefined;
}

/** Keys of every object schema reachable at `path`, for suggestions. */
export function keysAt(schema: AnySchema, path: readonly (string | number)[]): string[] {
  const found = new Set<string>();
  const walk = (s: AnySchema, rest: readonly (string | number)[]): void => {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
      case 'prefault':
      case 'readonly':
        walk(def['innerType'] as AnySchema, rest);
        return;
      case 'pipe':
        walk(def['in'] as AnySchema, rest);
        return;
      case 'union':
        for (const option of def['options'] as AnySchema[]) walk(option, rest);
        return;
      case 'array':
        if (rest.length > 0) walk(def['element'] as AnySchema, rest.slice(1));
        return;
      case 'record':
        if (rest.length > 0) walk(def['valueType'] as AnySchema, rest.slice(1));
        return;
      case 'object': {
        const shape = def['shape'] as Record<string, AnySchema>;
        if (rest.length === 0) {
          for (const key of Object.keys(shape)) found.add(key);
          return;
        }
        const next = shape[String(rest[0])];
        if (next !== undefined) walk(next, rest.slice(1));
        return;
      }
      default:
        return;
    }
  };
  walk(schema, path);
  return [...found];
}
