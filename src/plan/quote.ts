/** Quoting for the two languages devenv writes: POSIX shell and Dockerfile ENV values. */

const SHELL_SAFE = /^[A-Za-z0-9_+.,:=@%/-]+$/;

/**
 * Quotes a word for POSIX sh so it reaches the command as exactly one argument.
 * @example shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(word: string): string {
  if (word !== '' && SHELL_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * Writes an env value as a double-quoted Dockerfile ENV word. `$NAME`, `${NAME}`, `${NAME:-word}` and
 * `${NAME:+word}` stay references, expanded by the builder (so `PATH: /opt/bin:$PATH` works); `$$` and
 * every other `$` become a literal dollar; backslashes and quotes are escaped. Line breaks never get
 * here: the schema rejects them.
 */
export function dockerfileEnvValue(value: string): string {
  const reference = /\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*(?::[-+][^"\\${}]*)?\})/y;
  let out = '';
  let i = 0;
  while (i < value.length) {
    reference.lastIndex = i;
    const match = reference.exec(value);
    if (match !== null) {
      out += match[0];
      i += match[0].length;
      continue;
    }
    const ch = value[i] ?? '';
    if (ch === '$') {
      out += '\\$';
      i += value[i + 1] === '$' ? 2 : 1;
      continue;
    }
    out += ch === '\\' || ch === '"' ? `\\${ch}` : ch;
    i += 1;
  }
  return `"${out}"`;
}
