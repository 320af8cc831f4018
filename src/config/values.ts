/**
 * Checks for single values that end up in a generated Dockerfile, a `docker` argv or a shell script.
 * Each returns `undefined` when the value is fine, or a sentence saying what is wrong.
 */
import { parseReference } from '../image/reference.js';

/** Environment (and build argument) names, as POSIX shells accept them. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Environment, container and volume names: no leading `-`, no `/`, no `..`. */
export const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Keys that would reach an object's prototype if used as property names. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A value that must stay on one line of the Dockerfile or one argv element. */
export function checkOneLine(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character';
  if (/[\r\n\u2028\u2029]/.test(value)) return 'contains a line break; write it on one line';
  return undefined;
}

/** A value that may span lines but must still fit into one argv element. */
export function checkNoNul(value: string): string | undefined {
  return value.includes('\0') ? 'contains a NUL character' : undefined;
}

/** Environment, stage and volume names. */
export function checkName(value: string, max = 128): string | undefined {
  if (value.startsWith('-'))
    return `"${value}" starts with "-", which a command line would read as an option`;
  if (value.length > max) return `is longer than ${max} characters`;
  if (!NAME.test(value)) {
    return `"${value}" may only contain letters, digits, "_", "." and "-", and must start with a letter or digit`;
  }
  if (value.includes('..')) return `"${value}" contains ".."`;
  return undefined;
}

/** An absolute path inside the container, normalised, safe for `--mount` and `WORKDIR`. */
export function checkContainerPath(value: string): string | undefined {
  const line = checkOneLine(value);
  if (line !== undefined) return line;
  if (!value.startsWith('/')) return `"${value}" must be an absolute path inside the container`;
  if (value.split('/').some((part) => part === '..' || part === '.'))
    return `"${value}" must not contain "." or ".." components`;
  if (value.includes(',')) return `"${value}" contains ",", which docker's --mount syntax cannot carry`;
  if (value.includes('$')) return `"${value}" contains "$"; variables are not expanded in paths`;
  if (value.includes('\\')) return `"${value}" contains a backslash`;
  return undefined;
}

/** A path on the host (absolute, `~/…` or relative to the devenv.yml folder). */
export function checkHostPath(value: string): string | undefined {
  const line = checkOneLine(value);
  if (line !== undefined) return line;
  if (value === '') return 'is empty';
  if (value.startsWith('-')) return `"${value}" starts with "-"; write "./${value}"`;
  if (value.includes(',')) return `"${value}" contains ",", which docker's --mount syntax cannot carry`;
  if (value.includes('$')) return `"${value}" contains "$"; variables are not expanded in paths`;
  return undefined;
}

/** A path inside the build context (relative to the devenv.yml folder, never escaping it by `..`). */
export function checkContextPath(value: string): string | undefined {
  const line = checkOneLine(value);
  if (line !== undefined) return line;
  if (value === '') return 'is empty';
  if (value.startsWith('/')) return `"${value}" must be relative to the folder of devenv.yml`;
  if (value.startsWith('-')) return `"${value}" starts with "-"; write "./${value}"`;
  if (value.includes('$')) return `"${value}" contains "$"; variables are not expanded in paths`;
  let d = 0;
  for (const part of value.split('/')) {
    if (part === '..') d -= 1;
    else if (part !== '.' && part !== '') d += 1;
    if (d < 0) return `"${value}" leaves the project folder`;
  }
  return undefined;
}

/** An image reference Docker would accept (`ubuntu:xenial`, `localhost:5000/x@sha256:…`). */
export function checkImageReference(value: string): string | undefined {
  const line = checkOneLine(value);
  if (line !== undefined) return line;
  if (value.startsWith('-'))
    return `"${value}" starts with "-", which a command line would read as an option`;
  const parsed = parseReference(value);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** A package name for any supported package manager; versions (`gcc=4:5.3`, `foo>=1`) are allowed. */
export function checkPackage(value: string): string | undefined {
  const line = checkOneLine(value);
  if (line !== undefined) return line;
  if (value.startsWith('-'))
    return `"${value}" starts with "-", which the package manager would read as an option`;
  if (!/^[A-Za-z0-9@_][A-Za-z0-9+._:=~<>*@/-]*$/.test(value)) {
    return `"${value}" is not a package name (letters, digits and "+._:=~<>*@/-")`;
  }
  if (value.includes('<<')) return `"${value}" contains "<<"`;
  return undefined;
}
