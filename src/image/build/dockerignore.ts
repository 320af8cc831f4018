/**
 * `.dockerignore`, as the docker CLI applies it to a context folder: one pattern per line, `#`
 * comments, a leading `!` for an exception, paths cleaned and taken relative to the context, `*` and
 * `?` within one path component, `**` across any number of them. A path is left out when the last
 * pattern that matches it or one of its parent folders is not an exception.
 */
import path from '../../util/node-path.js';

interface Rule {
  pattern: RegExp;
  exception: boolean;
}

/** The pattern as a RegExp over a slash-separated relative path. */
function compile(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i] ?? ''}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end);
      out += body.startsWith('^') || body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The rules of a `.dockerignore` file's text. */
export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    const cleaned = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (cleaned === '' || cleaned === '.') continue;
    rules.push({ pattern: compile(cleaned), exception });
  }
  return rules;
}

/** A predicate: true for a context-relative path the rules leave out. */
export function dockerignoreMatcher(text: string): (rel: string) => boolean {
  const rules = parseDockerignore(text);
  if (rules.length === 0) return () => false;
  return (rel) => {
    const parts = rel.split('/');
    let excluded = false;
    for (const rule of rules) {
      let matched = false;
      for (let n = parts.length; n > 0 && !matched; n--)
        matched = rule.pattern.test(parts.slice(0, n).join('/'));
      if (matched) excluded = !rule.exception;
    }
    return excluded;
  };
}
