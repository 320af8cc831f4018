/**
 * The key sequence that leaves an attached session running, in Docker's `detachKeys` syntax, and
 * the matcher the attach client runs its input through.
 */
import { DevenvError } from '../../../errors.js';

/** Docker's default, ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const SYNTAX_HINT =
  'Write a comma-separated list of keys, each `ctrl-<a..z>`, `ctrl-@`, `ctrl-[`, `ctrl-\\`, ' +
  '`ctrl-]`, `ctrl-^`, `ctrl-_` or one printable character, such as `ctrl-p,ctrl-q` (the default).';

/** The control characters Docker names besides `ctrl-a`…`ctrl-z`. */
const CONTROL_SYMBOLS: Readonly<Record<string, number>> = {
  '@': 0x00,
  '[': 0x1b,
  '\\': 0x1c,
  ']': 0x1d,
  '^': 0x1e,
  _: 0x1f,
};

function keyByte(key: string): number | undefined {
  if (key.length === 1) {
    const code = key.charCodeAt(0);
    return code >= 0x20 && code < 0x7f ? code : undefined;
  }
  const match = /^ctrl-(.)$/i.exec(key);
  if (match?.[1] === undefined) return undefined;
  const name = match[1].toLowerCase();
  if (name >= 'a' && name <= 'z') return name.charCodeAt(0) - 0x60;
  return CONTROL_SYMBOLS[name];
}

/**
 * The bytes `spec` stands for, such as `[0x10, 0x11]` for `ctrl-p,ctrl-q`. Anything else, an empty
 * spec or an empty key included, is a `DEVENV_CONFIG_INVALID` error naming the value.
 */
export function parseDetachKeys(spec: string): Buffer {
  const bytes = spec.split(',').map((key) => {
    const byte = keyByte(key);
    if (byte === undefined) {
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `invalid detach keys ${JSON.stringify(spec)}: ${JSON.stringify(key)} is not a key`,
        { hint: SYNTAX_HINT },
      );
    }
    return byte;
  });
  return Buffer.from(bytes);
}

/**
 * Watches typed input for the detach sequence. Bytes that may start the sequence are held back;
 * when the next byte breaks it, the held bytes and that byte are forwarded after all, as Docker
 * does, so ctrl-p followed by x still reaches the program as both keys.
 */
export class DetachMatcher {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /**
   * Returns the bytes to forward now, and whether the sequence is complete; input after a complete
   * sequence is dropped, since the client leaves.
   */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const first = this.keys[0];
    if (first === undefined || (this.matched === 0 && !chunk.includes(first))) {
      return { forward: chunk, detach: false };
    }
    const forward: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(forward), detach: true };
        }
        continue;
      }
      forward.push(...this.keys.subarray(0, this.matched), byte);
      this.matched = 0;
    }
    return { forward: Buffer.from(forward), detach: false };
  }
}
