/** The JSON schema of devenv.yml, generated from the zod schema (committed as devenv.schema.json). */
import { z } from 'zod';
import { DevenvConfigSchema } from './schema.js';

/** The schema of the input form of devenv.yml (what users write, before defaults are applied). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(DevenvConfigSchema, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { ...schema, title: 'devenv.yml' };
}
