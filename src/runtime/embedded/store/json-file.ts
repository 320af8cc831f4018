/**
 * Reading and writing the store's JSON state files: size-capped reads checked against their shape
 * (util/shape.ts) that report a corrupt file instead of crashing on it, and atomic writes (temp + fsync + rename + dir fsync).
 */
import { DevenvError } from '../../../errors.js';
import { writeFileAtomic } from '../../../util/atomic.js';
import { readCapped } from '../../../util/read-capped.js';
import { parseShape, ShapeError } from '../../../util/shape.js';
import type { Check } from '../../../util/shape.js';
import { mapNoSpace } from './space.js';

/** Default cap on a state file, the same 20 MiB containerd allows for archive JSON. */
export const MAX_JSON_BYTES = 20 * 1024 * 1024;

/** The outcome of reading a state file. */
export type JsonRead<T> =
  { state: 'ok'; value: T } | { state: 'missing' } | { state: 'corrupt'; reason: string };

/** Reads and validates a JSON state file. Never throws for a missing or malformed file. */
export async function readJsonFile<T>(
  file: string,
  check: Check<T>,
  maxBytes = MAX_JSON_BYTES,
): Promise<JsonRead<T>> {
  let bytes: Buffer;
  try {
    bytes = await readCapped(file, maxBytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    if (error instanceof DevenvError) return { state: 'corrupt', reason: error.message };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { state: 'corrupt', reason: `not JSON (${(error as Error).message})` };
  }
  try {
    return { state: 'ok', value: parseShape(check, data) };
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    return { state: 'corrupt', reason: error.message };
  }
}

/** The error for a state file that does not validate; `devenv doctor --repair` quarantines it. */
export function corruptFileError(file: string, reason: string): DevenvError {
  return new DevenvError('DEVENV_STORE', `${file} is corrupt: ${reason}`, {
    hint: 'Run "devenv doctor --repair": it moves the file aside (keeping a copy) and repairs the store.',
  });
}

/** Reads a state file that must exist and be valid, throwing a clear error otherwise. */
export async function readJsonOrThrow<T>(file: string, check: Check<T>, what: string): Promise<T> {
  const read = await readJsonFile(file, check);
  if (read.state === 'ok') return read.value;
  if (read.state === 'missing') throw new DevenvError('DEVENV_STORE', `${what} is missing: ${file}`);
  throw corruptFileError(file, read.reason);
}

/** Writes `value` as JSON atomically; a full disk becomes DEVENV_NO_SPACE and the old file stays. */
export async function writeJsonFile(file: string, value: unknown, mode = 0o600): Promise<void> {
  await mapNoSpace('writing', file, () => writeFileAtomic(file, `${JSON.stringify(value)}\n`, mode));
}
