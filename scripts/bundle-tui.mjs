// @ts-check
/**
 * Bundles the TUI after tsc: dist/ui/tui/index.js becomes one file with Ink, React and their
 * dependencies inlined, React's production build chosen (NODE_ENV) and Ink's devtools hook
 * (react-devtools-core and ws) left out. Importing Ink and React as installed walks hundreds of
 * small modules and React's development build; the bundle loads in a fraction of that, and the TUI
 * paints its first frame that much sooner (bench/README.md, tui-first-frame).
 *
 * devenv's own modules outside src/ui/tui stay tsc's output, imported by relative path: the CLI has
 * them loaded already, and a second copy in the bundle would make its error classes and state
 * different objects from the CLI's. The bundle is written beside its final name and renamed over
 * it, with its source map.
 */
import { build } from 'esbuild';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const srcDir = path.join(root, 'src');
const tuiDir = path.join(srcDir, 'ui', 'tui');
const outFile = path.join(root, 'dist', 'ui', 'tui', 'index.js');

/** @type {import('esbuild').Plugin} */
const devenvModulesExternal = {
  name: 'devenv-modules-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (!target.startsWith(srcDir + path.sep) || target.startsWith(tuiDir + path.sep)) return undefined;
      const compiled = path.join(root, 'dist', path.relative(srcDir, target));
      const specifier = path.relative(path.dirname(outFile), compiled).split(path.sep).join('/');
      return { path: specifier.startsWith('.') ? specifier : `./${specifier}`, external: true };
    });
  },
};

/**
 * Ink's devtools module (loaded only when DEV=true) pulls in react-devtools-core and, through a
 * window polyfill, the ws WebSocket client: both become a module that does nothing.
 * @type {import('esbuild').Plugin}
 */
const noDevtools = {
  name: 'no-react-devtools',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'devtools',
      namespace: 'empty',
    }));
    pluginBuild.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}ink${path.sep}`)
        ? { path: 'devtools', namespace: 'empty' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: [path.join(tuiDir, 'index.ts')],
  outfile: outFile,
  bundle: true,
  write: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  legalComments: 'none',
  // Identifiers keep their names, so a stack trace reads without the source map.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __devenvCreateRequire } from 'node:module'; const require = __devenvCreateRequire(import.meta.url);",
  },
  plugins: [devenvModulesExternal, noDevtools],
});

for (const file of result.outputFiles) {
  const temp = `${file.path}.${process.pid}.tmp`;
  await writeFile(temp, file.contents);
  await rename(temp, file.path);
}
