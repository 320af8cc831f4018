/**
 * The argument shapes of ARG, ENV and LABEL, read as Docker's parser reads them: `KEY=VALUE` words
 * (quotes kept for the expander), or the legacy `ENV KEY value…` form for ENV and LABEL.
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../dockerfile/index.js';
import { dockerfileError, expandWord, ExpandError, splitWords } from '../dockerfile/index.js';
import type { VariableLookup } from '../dockerfile/index.js';

/** A key and its value, unexpanded; no value for `ARG NAME`. */
export interface KeyValue {
  key: string;
  value?: string | undefined;
}

/** Expands one word of `instruction`, turning a syntax error into FILE:LINE. */
export function expandIn(
  dockerfile: ParsedDockerfile,
  instruction: DockerfileInstruction,
  word: string,
  vars: VariableLookup,
): string {
  try {
    return expandWord(word, vars, dockerfile.escape);
  } catch (error) {
    if (!(error instanceof ExpandError)) throw error;
    throw dockerfileError(
      dockerfile.file,
      instruction.line,
      `${instruction.keyword} ${JSON.stringify(word)}: ${error.message}`,
      'Close every quote and write variables as $NAME, ${NAME}, ${NAME:-default} or ${NAME:+alternative}.',
    );
  }
}

/** `ARG a b=1`: names with optional defaults. */
export function argPairs(dockerfile: ParsedDockerfile, instruction: DockerfileInstruction): KeyValue[] {
  const words = splitWords(instruction.text, dockerfile.escape);
  if (words.length === 0)
    throw dockerfileError(
      dockerfile.file,
      instruction.line,
      'ARG needs a name',
      'Write `ARG NAME` or `ARG NAME=default`.',
    );
  return words.map((word) => {
    const eq = word.indexOf('=');
    return eq < 0 ? { key: word } : { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

/** `ENV a=1 b=2` or legacy `ENV a 1 2` (likewise LABEL): pairs, unexpanded. */
export function keyValuePairs(
  dockerfile: ParsedDockerfile,
  instruction: DockerfileInstruction,
): Required<KeyValue>[] {
  const { keyword, text } = instruction;
  const words = splitWords(text, dockerfile.escape);
  const first = words[0];
  const fail = (message: string) =>
    dockerfileError(
      dockerfile.file,
      instruction.line,
      message,
      `Write \`${keyword} NAME=value\` (quote values with spaces).`,
    );
  if (first === undefined) throw fail(`${keyword} needs at least one NAME=value`);
  if (!first.includes('=')) {
    const [key, value] = text.split(/\s+(.*)/su);
    if (key === undefined || value === undefined || value === '')
      throw fail(`${keyword} ${key ?? ''} has no value`);
    return [{ key, value }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw fail(`${keyword}: ${JSON.stringify(word)} is not NAME=value`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}
