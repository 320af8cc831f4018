/**
 * Node's `path` module, for `import path from '…/util/node-path.js'`. A default import of a Node
 * module compiles, in the CommonJS build, to esbuild's interop helper, which makes a new object with
 * a getter for every export of the module, at each importing module's start; a hundred modules
 * importing `node:path` that way cost a warm command ~5 ms (docs/hot-paths.md). Imported from here,
 * it is made once. ESLint holds every other module to this file or to named imports.
 */
import path from 'node:path';

export default path;
