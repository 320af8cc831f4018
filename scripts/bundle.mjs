// @ts-check
/**
 * Bundles the CLI after tsc. `dist/cli.js` (the executable) and `dist/chunks/monitor-main.js` (the
 * embedded runtime's container monitor) become esbuild bundles whose shared code and lazily loaded
 * parts sit in `dist/chunks/`: a command loads a handful of files instead of a hundred of tsc's, and
 * Node's loader, not the code, was most of a warm `exec` or no-op `up` (bench/README.md, hot paths).
 *
 * - devenv's own modules are bundled, so the CLI holds one copy of each (one DevenvError class).
 * - Packages stay external, loaded from node_modules as installed, except Ink and React and their
 *   dependencies, which the TUI's chunk inlines with React's production build and without Ink's
 *   devtools (react-devtools-core and ws): importing them as installed walks hundreds of modules.
 * - A chunk sits one folder below dist/, as tsc's modules do (dist/config/templates.js), so the
 *   paths the code builds from `import.meta.url` (the templates, the CLI script, the monitor) mean
 *   the same in both; the build checks each of them.
 * - tsc's output stays for the library entry (dist/index.js) and the type declarations.
 * - `dist/bundle-meta.json` lists the source files in each output, so a test that asks which of
 *   devenv's modules a command loaded can still answer (test/helpers/loaded-modules.ts).
 *
 * Every file is written beside its final name and renamed over it; chunks of an earlier build that
 * this one no longer writes are removed after.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const srcDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');
const chunksDir = path.join(distDir, 'chunks');

/** Packages the TUI's chunk inlines (with everything they import); any other package is external. */
const INLINED = new Set(['ink', 'react', 'react-reconciler', 'scheduler']);

/**
 * The package a bare specifier names: `react/jsx-runtime` → `react`, `@scope/x/y` → `@scope/x`.
 * @param {string} specifier
 * @returns {string}
 */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** @type {import('esbuild').Plugin} */
const externalPackages = {
  name: 'external-packages',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
      // Inside an inlined package, everything it imports is inlined too.
      if (!args.importer.startsWith(srcDir + path.sep)) return undefined;
      return INLINED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true };
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
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/cli.ts', out: 'cli' },
    { in: 'src/runtime/embedded/containers/monitor-main.ts', out: 'chunks/monitor-main' },
  ],
  outdir: distDir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  write: false,
  metafile: true,
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
  // CommonJS dependencies (React) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __devenvCreateRequire } from 'node:module'; const require = __devenvCreateRequire(import.meta.url);",
  },
  plugins: [externalPackages, noDevtools],
});

// The paths the code makes from import.meta.url, seen from a chunk (see the file comment): no module
// that makes one may land in dist/cli.js, one folder higher, except the CLI's own file.
const cliOutput = result.metafile.outputs['dist/cli.js'];
if (cliOutput === undefined) throw new Error('bundle: esbuild wrote no dist/cli.js');
for (const input of Object.keys(cliOutput.inputs)) {
  if (!input.startsWith('src/') || input === 'src/cli.ts') continue;
  if ((await readFile(path.join(root, input), 'utf8')).includes('import.meta.url'))
    throw new Error(`bundle: ${input} builds a path from import.meta.url but would sit in dist/cli.js`);
}
for (const [what, target] of [
  ['the templates (src/config/templates.ts)', path.join(chunksDir, '..', '..', 'templates')],
  ['the CLI script (src/commands/tui.ts)', path.join(chunksDir, '..', 'cli.js')],
]) {
  if (!existsSync(target)) throw new Error(`bundle: ${what} would not be found from a chunk: ${target}`);
}

await mkdir(chunksDir, { recursive: true });
const written = new Set();
for (const file of result.outputFiles) {
  const temp = `${file.path}.${process.pid}.tmp`;
  await writeFile(temp, file.contents);
  await rename(temp, file.path);
  written.add(file.path);
}
if (!written.has(path.join(chunksDir, 'monitor-main.js')))
  throw new Error(
    'bundle: the monitor (src/runtime/embedded/containers/containers.ts) needs dist/chunks/monitor-main.js',
  );
for (const name of await readdir(chunksDir)) {
  if (!written.has(path.join(chunksDir, name))) await rm(path.join(chunksDir, name), { force: true });
}

/** Output file (relative to dist/) → the source files in it (relative to src/, as tsc names them). */
const meta = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([output]) => output.endsWith('.js'))
    .map(([output, info]) => [
      path.relative('dist', output),
      Object.keys(info.inputs)
        .filter((input) => input.startsWith('src/'))
        .map((input) => input.slice('src/'.length).replace(/\.tsx?$/, '.js')),
    ]),
);
const metaFile = path.join(distDir, 'bundle-meta.json');
await writeFile(`${metaFile}.${process.pid}.tmp`, `${JSON.stringify(meta, null, 1)}\n`);
await rename(`${metaFile}.${process.pid}.tmp`, metaFile);
