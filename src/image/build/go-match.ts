/**
 * Go's `path/filepath.Match`, which Docker uses for wildcards in COPY and ADD sources: `*` is any
 * run of characters but `/`, `?` one character but `/`, `[a-z]` / `[^a-z]` a class, `\` escapes.
 */

/** A pattern `filepath.Match` rejects (Go's ErrBadPattern). */
export class BadPatternError extends Error {}

/** True when `pattern` has a wildcard character (Docker's `containsWildcards`). */
export function hasWildcards(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

const escapeRegExp = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeInClass = (ch: string): string => (ch === '-' ? '\\-' : escapeRegExp(ch));

/** Compiles a Go match pattern to an anchored RegExp; throws {@link BadPatternError}. */
export function compileGoPattern(pattern: string): RegExp {
  const chars = Array.from(pattern); // code points, as Go reads runes
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '\\') {
      const next = chars[++i];
      if (next === undefined)
        throw new BadPatternError(`bad pattern ${JSON.stringify(pattern)}: trailing \\`);
      source += escapeRegExp(next);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (chars[j] === '^') {
        cls += '^';
        j++;
      }
      let ranges = 0;
      for (;;) {
        let lo = chars[j];
        if (lo === undefined) throw new BadPatternError(`bad pattern ${JSON.stringify(pattern)}: unclosed [`);
        if (lo === ']' && ranges > 0) break;
        if (lo === '-' || lo === ']') throw new BadPatternError(`bad pattern ${JSON.stringify(pattern)}`);
        if (lo === '\\') lo = chars[++j];
        if (lo === undefined) throw new BadPatternError(`bad pattern ${JSON.stringify(pattern)}`);
        j++;
        cls += escapeInClass(lo);
        if (chars[j] === '-') {
          let hi = chars[++j];
          if (hi === '\\') hi = chars[++j];
          if (hi === undefined || hi === ']')
            throw new BadPatternError(`bad pattern ${JSON.stringify(pattern)}`);
          j++;
          cls += `-${escapeInClass(hi)}`;
        }
        ranges++;
      }
      // A class never matches the separator, as in Go.
      source += `(?!/)[${cls}]`;
      i = j;
    } else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 'u');
}

/** Go's `filepath.Match(pattern, name)`. */
export function goMatch(pattern: string, name: string): boolean {
  return compileGoPattern(pattern).test(name);
}
