/**
 * Turns the raw errors of tar-stream, zlib and fzstd into `DevenvError`s a user can read. They arrive
 * as plain `Error`s whose only stable part is the message or the zlib code.
 */
import { DevenvError } from '../../errors.js';
import { invalidLayer, limitError } from './layer-limits.js';

/** tar-stream's own cap on one PAX or long-name header, which it enforces before we see the header. */
export const TAR_STREAM_MAX_HEADER = 4 * 1024 * 1024;

/** Maps an error from reading a layer to a `DevenvError`; DevenvErrors pass through unchanged. */
export function layerReadError(error: unknown): Error {
  if (error instanceof DevenvError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const message = err.message;
  if (message.startsWith('Invalid tar header'))
    return invalidLayer('invalid tar header (corrupt data, or a compression devenv does not know)', err);
  if (message === 'Invalid header') return invalidLayer('invalid tar header (negative size)', err);
  if (message === 'Unexpected end of data')
    return invalidLayer('unexpected EOF: the tar stream is truncated', err);
  if (message === 'Header exceeds max size')
    return limitError('PAX or long-name header size', TAR_STREAM_MAX_HEADER);
  if (code.startsWith('Z_') || message === 'unexpected end of file')
    return invalidLayer(`corrupt gzip data (${message})`, err);
  if (code === 'ZSTD_INVALID' || code.startsWith('ERR_ZSTD'))
    return invalidLayer(`corrupt zstd data (${message})`, err);
  return err;
}
