/**
 * Variable expansion as Docker applies it to ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME
 * WORKDIR (never to RUN, CMD or ENTRYPOINT, which the shell expands): a port of the subset of
 * moby/buildkit's `shell/lex.go` the classic builder uses. Quotes are removed, `$V`, `${V}`,
 * `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}` are replaced, the escape character escapes the next
 * character outside single quotes (inside double quotes only `"`, `$` and itself).
 */

/** A variable lookup: the value, or undefined when the variable is not set. */
export type VariableLookup = (name: string) => string | undefined;

/** A word Docker's expander rejects (unterminated quote, bad `${…}`); the message is Docker's. */
export class ExpandError extends Error {}

/** Collects the words of an expansion: text from variables splits on whitespace, quoted text does not. */
class Words {
  private word = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (/\s/u.test(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }

  addRaw(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  addSplit(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  finish(): string[] {
    if (this.word.length > 0) this.words.push(this.word);
    this.word = '';
    this.inWord = false;
    return this.words;
  }
}

const SPECIAL = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class Lexer {
  private pos = 0;
  private readonly chars: string[];

  constructor(
    text: string,
    private readonly escape: string,
    private readonly lookup: VariableLookup,
  ) {
    this.chars = Array.from(text); // code points, as Go reads runes
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Processes up to `stop` (consumed) or the end; returns the text and its words. */
  process(stop?: string): { text: string; words: string[] } {
    let text = '';
    const words = new Words();
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const part = ch === "'" ? this.singleQuote() : ch === '"' ? this.doubleQuote() : this.dollar();
        text += part;
        if (ch === '$') words.addSplit(part);
        else words.addRaw(part);
        continue;
      }
      let c = this.next() ?? '';
      if (c === this.escape) {
        const escaped = this.next();
        if (escaped === undefined) break;
        c = escaped;
        words.addRaw(c);
      } else words.addChar(c);
      text += c;
    }
    if (stop !== undefined)
      throw new ExpandError(`unexpected end of statement while looking for matching ${stop}`);
    return { text, words: words.finish() };
  }

  private singleQuote(): string {
    this.next();
    let text = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined)
        throw new ExpandError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return text;
      text += ch;
    }
  }

  private doubleQuote(): string {
    this.next();
    let text = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined)
        throw new ExpandError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        return text;
      }
      if (ch === '$') {
        text += this.dollar();
        continue;
      }
      let c = this.next() ?? '';
      if (c === this.escape) {
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === this.escape) c = this.next() ?? '';
      }
      text += c;
    }
  }

  private name(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && /\p{Nd}/u.test(ch)) {
        while (this.peek() !== undefined && /\p{Nd}/u.test(this.peek() ?? '')) name += this.next() ?? '';
        return name;
      }
      if (name === '' && SPECIAL.has(ch)) return this.next() ?? '';
      if (!/[\p{L}\p{Nd}_]/u.test(ch)) break;
      name += this.next() ?? '';
    }
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new ExpandError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new ExpandError('syntax error: bad substitution');
    const name = this.name();
    const ch = this.next();
    if (ch === '}') return this.lookup(name) ?? '';
    const colon = ch === ':';
    const modifier = colon ? this.next() : ch;
    if (modifier !== '-' && modifier !== '+') {
      if (!colon) throw new ExpandError("missing ':' in substitution");
      throw new ExpandError(`unsupported modifier (${modifier ?? ''}) in substitution`);
    }
    let word: string;
    try {
      word = this.process('}').text;
    } catch (error) {
      if (this.peek() === undefined) throw new ExpandError("syntax error: missing '}'");
      throw error;
    }
    const value = this.lookup(name);
    // With a colon, an empty value counts as unset (POSIX `${V:-w}`); without, only unset does.
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    if (modifier === '-') return set ? (value ?? '') : word;
    return set ? word : '';
  }
}

/**
 * Expands one word (Docker's `ProcessWord`): quotes removed, variables replaced, no splitting.
 * Throws {@link ExpandError} for a word Docker rejects.
 */
export function expandWord(text: string, vars: VariableLookup, escape = '\\'): string {
  return new Lexer(text, escape, vars).process().text;
}

/**
 * Expands and splits into words (Docker's `ProcessWords`, used by EXPOSE): whitespace that came
 * from a variable or stood unquoted separates words.
 */
export function expandToWords(text: string, vars: VariableLookup, escape = '\\'): string[] {
  return new Lexer(text, escape, vars).process().words;
}

/**
 * Expands `text` as Docker expands an instruction's word: `$V ${V} ${V:-w} ${V-w} ${V:+w} ${V+w}`,
 * with quoting and escapes as Docker applies them. Same as {@link expandWord} with `\` as the escape.
 */
export function expandWords(text: string, vars: VariableLookup): string {
  return expandWord(text, vars);
}

/** A lookup over Docker's `KEY=VALUE` environment list, first entry wins (as in Docker's lexer). */
export function envLookup(env: readonly string[]): VariableLookup {
  return (name) => {
    for (const entry of env) {
      const eq = entry.indexOf('=');
      if (eq < 0 ? entry === name : entry.slice(0, eq) === name) return eq < 0 ? '' : entry.slice(eq + 1);
    }
    return undefined;
  };
}
