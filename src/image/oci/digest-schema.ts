/** The digest form every stored or archived content name must have. */
import { z } from 'zod';

/** A canonical `sha256:<64 hex>` digest. */
export const DigestSchema = z
  .string()
  .regex(/^sha256:[a-f0-9]{64}$/, { error: 'expected sha256:<64 hex digits>' });
