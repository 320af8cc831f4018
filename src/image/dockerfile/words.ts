/**
 * The word-level rules of Docker's Dockerfile parser (moby/buildkit frontend/dockerfile/parser),
 * ported so that a Dockerfile means the same here as under `docker build`: how `--flags` are split
 * off, how `KEY=VALUE` words are found (quotes and escapes kept for the expander), and which
 * arguments count as a JSON array.
 */

const isSpace = (ch: string): boolean => /\s/u.test(ch);

/**
 * The word scanner behind Docker's two word splitters (`extractBuilderFlags` and `parseWords`):
 * whitespace separates words, quotes group, the escape character escapes one character.
 * `keep` keeps quotes and escapes in the words (for the expander); without it they are removed, and
 * then the escape works inside single quotes too, as in Docker's flag parser. `flags` stops at the
 * first word that does not start with `--`, or after a lone `--`.
 */
function scanWords(
  text: string,
  options: { escape: string; keep: boolean; flags: boolean },
): { words: string[]; rest: string } {
  const { escape, keep, flags } = options;
  const chars = Array.from(text); // code points, as Go reads runes
  const words: string[] = [];
  const restFrom = (pos: number) => ({ words, rest: chars.slice(pos).join('').trim() });
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      if (flags && (ch !== '-' || chars[pos + 1] !== '-')) return restFrom(pos);
      phase = 'word';
    }
    if (pos === chars.length) {
      if (!(flags && word === '--') && (blankOk || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (flags && word === '--') return restFrom(pos);
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
        if (!keep) continue;
      }
    } else if (ch === quote) {
      phase = 'word';
      if (!keep) continue;
    }
    if (ch === escape && (phase === 'word' || !keep || quote !== "'")) {
      if (pos + 1 === chars.length) {
        if (phase === 'quote') phase = 'word';
        continue;
      }
      if (keep) word += ch;
      pos++;
      ch = chars[pos] ?? '';
    }
    word += ch;
  }
  return { words, rest: '' };
}

/**
 * Splits the leading `--flag[=value]` words off an instruction's arguments, as Docker does before
 * anything else: quotes group, a backslash escapes one character, `--` alone ends the flags.
 * Returns the flags (without their `--`, quotes removed) and the trimmed rest.
 */
export function splitFlags(args: string): { flags: string[]; rest: string } {
  const { words, rest } = scanWords(args, { escape: '\\', keep: false, flags: true });
  return { flags: words.map((w) => w.replace(/^--/, '')), rest };
}

/**
 * Splits arguments into words on unquoted whitespace, keeping quotes and escapes in the words (the
 * expander removes them later). This is how `ENV`, `LABEL` and `ARG` find their `KEY=VALUE` pairs.
 */
export function splitWords(text: string, escape: string): string[] {
  return scanWords(text, { escape, keep: true, flags: false }).words;
}

/** Splits on runs of whitespace (Docker's `parseStringsWhitespaceDelimited`). */
export function splitWhitespace(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w !== '');
}

/** Thrown by {@link jsonForm} for a JSON array with an element that is not a string. */
export class NotStringArrayError extends Error {}

/** Index just past the JSON array that starts `text`, or -1 when the brackets never close. */
function arrayEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The exec-form argument list when `text` is a JSON array of strings, else undefined (shell form).
 * As in Docker, only the first JSON value counts (Go's decoder stops there), invalid JSON means shell
 * form, and a valid array with a non-string element is an error ({@link NotStringArrayError}).
 */
export function jsonForm(text: string): string[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return undefined;
  const end = arrayEnd(trimmed);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v): v is string => typeof v === 'string')) throw new NotStringArrayError();
  return value;
}
