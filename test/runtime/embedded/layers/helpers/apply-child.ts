/**
 * Applies one layer in a child process, the way the CLI would: failpoints configured from
 * DEVENV_FAILPOINTS. argv: <layer file> <target> [parent dirs as JSON]. With APPLY_CHILD_REMOVE=1 it
 * then removes the result again (for the non-root test). Started by child.ts.
 */
import { createReadStream } from 'node:fs';
import { applyLayer } from '../../../../../src/runtime/embedded/layers/index.js';
import { configureFailpoints } from '../../../../../src/util/failpoint.js';
import { removeTree } from '../../../../../src/util/remove-tree.js';

configureFailpoints(process.env.DEVENV_FAILPOINTS);
const [layer = '', target = '', parents = '[]'] = process.argv.slice(2);
const applied = await applyLayer({
  open: () => createReadStream(layer),
  target,
  parents: JSON.parse(parents) as string[],
});
process.stdout.write(`${JSON.stringify(applied)}\n`);
if (process.env.APPLY_CHILD_REMOVE === '1') await removeTree(target);
