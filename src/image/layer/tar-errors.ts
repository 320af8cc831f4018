/**
 * Turns the raw errors of reading a layer (zlib and fzstd; the tar block parser throws
 * `DevenvError`s itself) into `DevenvError`s a user can read. They arrive as plain `Error`s whose
 * only stable part is the message or the zlib code.
 */
import { DevenvError } from '../../errors.js';
import { invalidLayer } from './layer-limits.js';

/** Maps an error from reading a layer to a `DevenvError`; DevenvErrors pass through unchanged. */
export function layerReadError(error: unknown): Error {
  if (error instanceof DevenvError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const message = err.message;
  if (code.startsWith('Z_') || message === 'unexpected end of file')
    return invalidLayer(`corrupt gzip data (${message})`, err);
  if (code === 'ZSTD_INVALID' || code.startsWith('ERR_ZSTD'))
    return invalidLayer(`corrupt zstd data (${message})`, err);
  return err;
}
