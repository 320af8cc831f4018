/**
 * Applies one layer in a child process, the way the CLI would: failpoints configured from
 * DEVENV_FAILPOINTS. argv: <layer file> <target> [parent dirs as JSON]. Bundled by child.ts.
 */
import { createReadStream } from 'node:fs';
import { applyLayer } from '../../../../../src/runtime/embedded/layers/index.js';
import { configureFailpoints } from '../../../../../src/util/failpoint.js';

configureFailpoints(process.env.DEVENV_FAILPOINTS);
const [layer = '', target = '', parents = '[]'] = process.argv.slice(2);
const applied = await applyLayer({
  open: () => createReadStream(layer),
  target,
  parents: JSON.parse(parents) as string[],
});
process.stdout.write(`${JSON.stringify(applied)}\n`);
