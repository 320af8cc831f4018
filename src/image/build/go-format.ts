/**
 * The two Go formatting verbs Docker's history strings are made with, so that `created_by` reads
 * byte for byte as under `docker build`: `%q` of a string slice (`["a" "b"]`) and `%v` (`[a b]`).
 */

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's `strconv.Quote`: printable characters as they are, the rest as Go escapes. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const short = SHORT_ESCAPES[ch];
    const code = ch.codePointAt(0) ?? 0;
    if (short !== undefined) out += short;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) out += ch;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** `fmt.Sprintf("%q", slice)`. */
export function goQuoteList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(' ')}]`;
}

/** `fmt.Sprintf("%v", slice)`. */
export function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}
