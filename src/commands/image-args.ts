/** Image references named on the command line (pull, push, tag), checked before a runtime is opened. */
import { checkImageReference } from '../config/values.js';
import { UsageError } from '../errors.js';
import type { ParsedArgs } from './args.js';

/** `ref` when it is a valid image reference, else a usage error saying what is wrong with it. */
export function checkedReference(ref: string): string {
  const problem = checkImageReference(ref);
  if (problem !== undefined) throw new UsageError(`${ref}: ${problem}`);
  return ref;
}

/** The one image reference `verb` takes, checked; a usage error with `hint` for none or more than one. */
export function singleReference(args: ParsedArgs, verb: string, hint: string): string {
  const ref = args.positionals[0];
  if (ref === undefined || args.positionals.length > 1)
    throw new UsageError(`${verb} takes one image reference`, hint);
  return checkedReference(ref);
}
