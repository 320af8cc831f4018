/**
 * Parses YAML text defensively and keeps positions, so every later diagnostic can name `file:line:col`.
 * Refuses what a config file never needs and an attacker would use: aliases (alias bombs, merge-key
 * recursion), several documents, duplicate keys, YAML 1.1 directives, custom tags, prototype keys,
 * deep nesting and oversized input (docs/reliability.md, Y1-Y5).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import type { Diagnostic } from './diagnostic.js';
import { FORBIDDEN_KEYS } from './values.js';

/** Largest file accepted, in bytes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deepest nesting accepted; real configs stay under 10. */
export const MAX_DEPTH = 64;

const STANDARD_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

/** A parsed document plus the means to turn a field path into a position. */
export interface ParsedYaml {
  /** The plain value, or `undefined` when the text had errors. */
  value: unknown;
  diagnostics: Diagnostic[];
  /** Finds the line and column of a field path (the nearest existing ancestor when the field is absent). */
  locate: (
    path: readonly (string | number)[],
    which?: 'key' | 'value',
  ) => { line: number; col: number } | undefined;
  /** The source text of the scalar at a field path, as written (`0755` for the number 755). */
  sourceAt: (path: readonly (string | number)[]) => string | undefined;
}

const YAML_CODES: Record<string, string> = {
  RESOURCE_EXHAUSTION: `the document is nested too deeply (more than ${MAX_DEPTH} levels) or too large`,
  DUPLICATE_KEY: 'duplicate key: YAML maps may not repeat a key; remove one of them',
  MULTIPLE_DOCS: 'several YAML documents ("---") in one file; devenv.yml holds exactly one',
};

/**
 * Parses `text` (the contents of `file`) and checks its shape; never throws for bad input.
 * @param prefix path of the config inside the document (`['devenv']` for package.json).
 */
export function parseYaml(text: string, file: string, prefix: readonly (string | number)[] = []): ParsedYaml {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number | undefined): { line?: number; col?: number } =>
    offset === undefined ? {} : lineCounter.linePos(offset);
  const fail = (
    code: string,
    message: string,
    offset?: number,
    hint?: string,
    path: (string | number)[] = [],
  ) => {
    const { line, col } = at(offset);
    diagnostics.push({ severity: 'error', code, message, path, file, line, col, hint });
  };
  const nothing: ParsedYaml = {
    value: undefined,
    diagnostics,
    locate: () => undefined,
    sourceAt: () => undefined,
  };

  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    fail(
      'file-too-large',
      `the file is larger than ${MAX_FILE_BYTES / 1024} KiB`,
      undefined,
      'a devenv.yml is a few hundred lines; move data into files and COPY them',
    );
    return nothing;
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const before = text.slice(0, nul);
    const line = before.split('\n').length;
    const col = nul - before.lastIndexOf('\n');
    diagnostics.push({
      severity: 'error',
      code: 'nul-byte',
      message: 'the file contains a NUL byte; it is not a text file',
      path: [],
      file,
      line,
      col,
    });
    return nothing;
  }

  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      version: '1.2',
      schema: 'core',
      merge: false,
      uniqueKeys: true,
      prettyErrors: false,
      lineCounter,
      strict: true,
    });
  } catch (error) {
    // The composer recurses; a pathological nesting can still exhaust the stack.
    if (error instanceof RangeError) {
      fail('too-deep', `the document is nested too deeply (more than ${MAX_DEPTH} levels)`);
      return nothing;
    }
    throw error;
  }

  const yamlDirective = /^%YAML\s+(\S+)/m.exec(text);
  if (yamlDirective !== null && yamlDirective[1] !== '1.2') {
    fail(
      'yaml-version',
      `%YAML ${yamlDirective[1]} is not supported; devenv.yml is YAML 1.2`,
      yamlDirective.index,
      'delete the %YAML line',
    );
  }
  for (const error of doc.errors) diagnostics.push(fromYamlError(error, file, at));
  if (diagnostics.length > 0) return nothing;

  visit(doc, (_key, node, ancestors) => {
    const collectionDepth = ancestors.filter((a) => isCollection(a)).length;
    if (collectionDepth > MAX_DEPTH) {
      fail('too-deep', `the document is nested more than ${MAX_DEPTH} levels deep`, nodeOffset(node));
      return visit.BREAK;
    }
    if (isAlias(node)) {
      fail(
        'alias',
        `aliases are not allowed (*${node.source})`,
        nodeOffset(node),
        'write the value out instead of referring to an anchor',
      );
      return visit.SKIP;
    }
    if (isPair(node)) {
      const key: unknown = node.key;
      if (key !== null && !isScalar(key)) {
        fail('complex-key', 'map keys must be plain text', nodeOffset(key));
        return visit.SKIP;
      }
      if (isScalar(key) && typeof key.value === 'string' && FORBIDDEN_KEYS.has(key.value)) {
        fail(
          'forbidden-key',
          `"${key.value}" cannot be used as a key`,
          key.range?.[0],
          'rename or remove this key',
        );
      }
      if (isScalar(key) && key.value === '<<') {
        fail('merge-key', 'merge keys ("<<") are not allowed', key.range?.[0], 'write the keys out');
      }
    }
    if ((isScalar(node) || isCollection(node)) && node.tag !== undefined && !STANDARD_TAGS.has(node.tag)) {
      fail('tag', `the YAML tag ${node.tag} is not allowed`, nodeOffset(node), 'remove the tag');
    }
    return undefined;
  });
  if (diagnostics.length > 0) return nothing;

  const value: unknown = doc.toJS({ maxAliasCount: 0 });
  const locate: ParsedYaml['locate'] = (path, which = 'value') => {
    const full = [...prefix, ...path];
    for (let n = full.length; n >= 0; n--) {
      const offset = offsetOf(doc, full.slice(0, n), n === full.length ? which : 'key');
      if (offset !== undefined) return lineCounter.linePos(offset);
    }
    return undefined;
  };
  const sourceAt: ParsedYaml['sourceAt'] = (path) => {
    const node: unknown = doc.getIn([...prefix, ...path], true);
    return isScalar(node) ? node.source : undefined;
  };
  return { value: valueAt(value, prefix), diagnostics, locate, sourceAt };
}

/** The value at `path` inside parsed YAML (objects and arrays), or undefined where there is none. */
export function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** Offset of the key (or value) at `path`, walking maps and sequences. */
function offsetOf(
  doc: Document.Parsed,
  path: readonly (string | number)[],
  which: 'key' | 'value',
): number | undefined {
  if (path.length === 0) return nodeOffset(doc.contents);
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) return undefined;
      if (last)
        return which === 'key' ? nodeOffset(pair.key) : (nodeOffset(pair.value) ?? nodeOffset(pair.key));
      node = pair.value;
    } else if (isCollection(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) return undefined;
      if (last) return nodeOffset(item);
      node = item;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function fromYamlError(
  error: YAMLError,
  file: string,
  at: (offset: number | undefined) => { line?: number; col?: number },
): Diagnostic {
  const { line, col } = at(error.pos[0]);
  const known = YAML_CODES[error.code];
  const message = known ?? `invalid YAML: ${error.message.split('\n')[0] ?? error.code}`;
  return {
    severity: 'error',
    code:
      error.code === 'RESOURCE_EXHAUSTION'
        ? 'too-deep'
        : `yaml-${error.code.toLowerCase().replace(/_/g, '-')}`,
    message,
    path: [],
    file,
    line,
    col,
  };
}
