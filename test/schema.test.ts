/** devenv.schema.json is generated from the zod schema; this fails when the committed file drifts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/json-schema.js';

describe('devenv.schema.json', () => {
  it('matches the zod schema (regenerate with: npm run build && node dist/cli.js schema > devenv.schema.json)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(new URL('../devenv.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(configJsonSchema());
  });

  it('describes every top-level field', () => {
    const properties = configJsonSchema()['properties'] as Record<string, { description?: string }>;
    const undescribed = Object.entries(properties)
      .filter(([, p]) => p.description === undefined)
      .map(([k]) => k);
    expect(undescribed).toEqual([]);
  });
});
