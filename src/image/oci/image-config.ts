/**
 * The image config (image-spec config.md) as far as devenv reads it: the run defaults, labels and
 * `rootfs.diff_ids`. The bytes themselves are always kept as they came, because their sha256 is the
 * image ID; this is only a checked view of them (util/shape.ts: `inspect` and a no-op `up` read it).
 */
import { DevenvError } from '../../errors.js';
import {
  array,
  literal,
  looseObject,
  nullish,
  optional,
  parseShape,
  record,
  ShapeError,
  string,
} from '../../util/shape.js';
import type { Check, Checked } from '../../util/shape.js';
import { digest } from './digest-check.js';

const strings = nullish(array(string));

/** `check`, null as null, or undefined when missing (the config's `config` is null for `FROM scratch`). */
function nullable<T>(check: Check<T>): Check<T | null | undefined> {
  return (value, path) => (value === undefined || value === null ? value : check(value, path));
}

/** The part of an image config devenv reads; other keys (history, WorkingDir, …) are kept as they are. */
export const ImageConfigSchema = looseObject({
  created: optional(string),
  architecture: optional(string),
  os: optional(string),
  config: nullable(
    looseObject({ Env: strings, Entrypoint: strings, Cmd: strings, Labels: nullish(record(string)) }),
  ),
  rootfs: looseObject({ type: literal('layers'), diff_ids: array(digest) }),
});
export type ImageConfig = Checked<typeof ImageConfigSchema>;

/** Parses config bytes; throws DEVENV_STORE naming `what` when they are not an image config. */
export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new DevenvError('DEVENV_STORE', `${what} is not JSON: ${(error as Error).message}`);
  }
  try {
    return parseShape(ImageConfigSchema, data);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new DevenvError('DEVENV_STORE', `${what} is not an image config: ${error.message}`);
  }
}
