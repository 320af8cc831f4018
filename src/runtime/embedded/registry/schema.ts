/** zod schema of what a registry's token endpoint answers (distribution auth/token.md). */
import { z } from 'zod';

/** The token endpoint's answer. */
export const TokenResponseSchema = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
  issued_at: z.string().optional(),
});
