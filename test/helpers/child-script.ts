/** Finds the runnable (transpiled) copy of a TypeScript test helper, for starting it with `node`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The .js that the global setup made of the helper at `source` (a `new URL('./x.ts',
 * import.meta.url)`); its imports of src/ load the built dist/.
 */
export function childScript(source: URL): string {
  const relative = path.relative(REPO, fileURLToPath(source)).replace(/\.ts$/, '.js');
  return path.join(inject('childScripts'), relative);
}
