/** Building blocks of the devenv.yml schema: checked strings and environment maps. */
import { z } from 'zod';
import { checkOneLine, ENV_KEY } from './values.js';

/** A check that returns a sentence when the value is wrong. */
export type Check = (value: string) => string | undefined;

/** A string that must pass `check`; the failure sentence becomes the diagnostic. */
export function text(check: Check) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: problem, params: { devenv: 'unsafe-value' } });
  });
}

/** A map whose keys are environment-variable names; values may be strings, numbers or booleans. */
export function envMap(what: string) {
  return z
    .record(
      z.string().regex(ENV_KEY, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a valid variable name: use letters, digits and _, not starting with a digit`,
      }),
      z.union([text(checkOneLine), z.number(), z.boolean()]),
    )
    .describe(
      `${what}: NAME → value. Numbers and booleans are written as text; quote values such as "0755".`,
    );
}
