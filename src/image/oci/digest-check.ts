/** The digest form every stored or archived content name must have, as a typed check (util/shape.ts). */
import { matching } from '../../util/shape.js';

/** A canonical `sha256:<64 hex>` digest. */
export const digest = matching(/^sha256:[a-f0-9]{64}$/, 'sha256:<64 hex digits>');
