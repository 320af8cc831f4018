/**
 * Errors about a Dockerfile: always `FILE:LINE: what is wrong`, with a hint saying what to change.
 */
import { DevenvError } from '../../errors.js';

/** A Dockerfile the builder cannot build as written; `line` is 1-based, 0 for the file as a whole. */
export function dockerfileError(file: string, line: number, message: string, hint: string): DevenvError {
  return new DevenvError('DEVENV_CONFIG_INVALID', `${line > 0 ? `${file}:${line}` : file}: ${message}`, {
    hint,
  });
}
