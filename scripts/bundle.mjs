// @ts-check
/**
 * Bundles the CLI after tsc (docs/hot-paths.md#the-launcher). Four kinds of output:
 *
 * - `dist/devenv.cjs`, the launcher (src/launch.ts): the executable; `dist/cli.js` only loads it.
 * - `dist/chunks/cli.cjs`, the whole CLI in one CommonJS file, which the launcher compiles with a V8
 *   code cache: every command but the TUI runs from it, and `dist/chunks/execa.cjs`, execa in
 *   CommonJS, which it requires where a process is run through execa. `dist/chunks/monitor.cjs`,
 *   the embedded runtime's container monitor, the same way.
 * - `dist/chunks/cli.js` and the other ES modules in `dist/chunks/`: the same CLI split into chunks
 *   that load on demand, for the TUI (Ink waits at its top level, which CommonJS cannot), and
 *   `dist/chunks/monitor-main.js`, the monitor when `DEVENV_ESM=1` asks.
 *
 * - devenv's own modules are bundled, so each build holds one copy of each (one DevenvError class).
 * - Packages stay external, loaded from node_modules as installed, except: in the ES-module build,
 *   Ink and React and their dependencies, which the TUI's chunk inlines with React's production
 *   build and without Ink's devtools (react-devtools-core and ws): importing them as installed walks
 *   hundreds of modules; in the CommonJS builds, execa, which ships as ES modules only: it and its
 *   dependencies are bundled into `dist/chunks/execa.cjs`, which those builds require where execa is
 *   first used. The CommonJS build has no TUI at all.
 * - Every output sits one folder below dist/, as tsc's modules do (dist/config/templates.js), so the
 *   paths the code builds from `import.meta.url` (the templates, the CLI script, the monitor, the
 *   package.json) mean the same in both builds; the build checks each of them.
 * - tsc's output stays for the library entry (dist/index.js) and the type declarations.
 * - `dist/bundle-meta.json` lists the source files in each ES module output, so a test that asks
 *   which of devenv's modules a command loaded can still answer (test/helpers/loaded-modules.ts).
 *
 * Every file is written beside its final name and renamed over it; chunks of an earlier build that
 * this one no longer writes are removed after.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const srcDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');
const chunksDir = path.join(distDir, 'chunks');

/** Packages the ES-module build inlines (the TUI's, with everything they import). */
const INLINED = new Set(['ink', 'react', 'react-reconciler', 'scheduler']);
/**
 * The CLI's CommonJS build takes execa, which has no CommonJS entry, from a CommonJS bundle of its
 * own beside it rather than inlined. Inlined, its ~120 KB were read, and the records V8 keeps for
 * its functions deserialized, by every command, though no hot command runs it (docs/hot-paths.md).
 * The monitor's build, which runs execa as it starts, keeps it inlined.
 */
const EXECA_CJS = './execa.cjs';
/** Packages the monitor's CommonJS build inlines: those without a CommonJS entry. */
const INLINED_CJS = new Set(['execa']);

/**
 * The package a bare specifier names: `react/jsx-runtime` → `react`, `@scope/x/y` → `@scope/x`.
 * @param {string} specifier
 * @returns {string}
 */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Marks every package external but those in `inlined`.
 * @param {Set<string>} inlined
 * @returns {import('esbuild').Plugin}
 */
function externalPackages(inlined) {
  return {
    name: 'external-packages',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
        // Inside an inlined package, everything it imports is inlined too.
        if (!args.importer.startsWith(srcDir + path.sep)) return undefined;
        return inlined.has(packageOf(args.path)) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/**
 * `execa`, imported by devenv's modules, becomes a require of {@link EXECA_CJS}.
 * @type {import('esbuild').Plugin}
 */
const execaBeside = {
  name: 'execa-beside',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^execa$/ }, (args) =>
      args.importer.startsWith(srcDir + path.sep) ? { path: EXECA_CJS, external: true } : undefined,
    );
  },
};

/**
 * The CommonJS build has no TUI: its command module becomes one that says so. The launcher never
 * starts that build for the TUI, so this stands only against a mistake in the launcher.
 * @type {import('esbuild').Plugin}
 */
const noTui = {
  name: 'no-tui',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/tui\.js$/ }, (args) =>
      args.importer === path.join(srcDir, 'commands', 'command-table.ts')
        ? { path: 'tui', namespace: 'no-tui' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'no-tui' }, () => ({
      contents:
        "export default { name: 'tui', summary: '', usage: '', options: {}, run() { throw new Error('the TUI runs from the ES-module build (dist/chunks/cli.js), which the launcher starts for it'); } };",
      loader: 'js',
    }));
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

/** Options every output shares. @type {import('esbuild').BuildOptions} */
const common = {
  absWorkingDir: root,
  outdir: distDir,
  bundle: true,
  write: false,
  metafile: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  // Identifiers keep their names, so a stack trace reads without the source map (all but the CLI's
  // CommonJS build: see compileCjs).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

const result = await build({
  ...common,
  entryPoints: [
    { in: 'src/cli.ts', out: 'chunks/cli' },
    { in: 'src/runtime/embedded/containers/monitor-main.ts', out: 'chunks/monitor-main' },
  ],
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  sourcemap: true,
  // CommonJS dependencies (React) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __devenvCreateRequire } from 'node:module'; const require = __devenvCreateRequire(import.meta.url);",
  },
  plugins: [externalPackages(INLINED), noDevtools],
});

/**
 * The CommonJS build of one entry. The CLI's has its local identifiers minified: every command
 * reads the whole file and deserializes its code cache, and shorter names made both a third
 * smaller (998 → ~700 KB of source, code caches ~85 KB smaller), a warm no-op `up -d` and an `exec`
 * 6–7 ms faster (docs/hot-paths.md). Its stack traces then name minified functions, so
 * `DEVENV_DEBUG=1`, the one setting that prints them, runs the ES-module build, whose names are the
 * source's (src/launch.ts). The monitor's build keeps its names: it writes the stack of a failure
 * to its log.
 * @param {{ in: string, out: string }} entry
 * @param {boolean} minifyIdentifiers
 * @param {boolean} execaBesideIt whether execa is required from {@link EXECA_CJS}, not inlined
 */
const compileCjs = (entry, minifyIdentifiers, execaBesideIt) =>
  build({
    ...common,
    entryPoints: [entry],
    minifyIdentifiers,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // The launcher runs this file with vm.Script, which has no loader for import(): every import()
    // becomes a require() (a built-in, or a package with a CommonJS entry).
    supported: { 'dynamic-import': false },
    define: { ...common.define, 'import.meta.url': '__devenvModuleUrl' },
    // The launcher runs this file as a CommonJS module (__filename is this file). The banner comes
    // before esbuild's own "use strict", which must then be said first: ES modules are strict.
    banner: {
      js: '"use strict";var __devenvModuleUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    plugins: execaBesideIt
      ? [execaBeside, externalPackages(new Set()), noTui]
      : [externalPackages(INLINED_CJS), noTui],
  });
const compiledCli = await compileCjs({ in: 'src/cli.ts', out: 'chunks/cli' }, true, true);
const compiledMonitor = await compileCjs(
  { in: 'src/runtime/embedded/containers/monitor-main.ts', out: 'chunks/monitor' },
  false,
  false,
);
// execa and its dependencies, for the CLI's CommonJS build: local names minified as in that build
// (no stack trace devenv prints runs through it).
const compiledExeca = await build({
  ...common,
  entryPoints: [{ in: fileURLToPath(import.meta.resolve('execa')), out: 'chunks/execa' }],
  minifyIdentifiers: true,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  supported: { 'dynamic-import': false },
  banner: { js: '"use strict";' },
});
const compiled = {
  metafile: {
    outputs: {
      ...compiledCli.metafile.outputs,
      ...compiledMonitor.metafile.outputs,
      ...compiledExeca.metafile.outputs,
    },
  },
  outputFiles: [
    ...(compiledCli.outputFiles ?? []),
    ...(compiledMonitor.outputFiles ?? []),
    ...(compiledExeca.outputFiles ?? []),
  ],
};
for (const [file, info] of Object.entries(compiled.metafile.outputs)) {
  if (info.imports.some((i) => i.external === true && (i.path === 'execa' || i.path.startsWith('execa/'))))
    throw new Error(`bundle: ${file} requires execa as installed, which has no CommonJS entry`);
}

const launcher = await build({
  ...common,
  entryPoints: [{ in: 'src/launch.ts', out: 'devenv' }],
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // import() of the ES-module build stays an import(), which CommonJS files have in Node.
  supported: { 'dynamic-import': true },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [externalPackages(new Set())],
});

// The paths the code makes from import.meta.url assume a file one folder below dist/ (see the file
// comment): every output but the launcher's must sit in dist/chunks/.
for (const output of [...Object.keys(result.metafile.outputs), ...Object.keys(compiled.metafile.outputs)]) {
  if (!output.startsWith('dist/chunks/')) throw new Error(`bundle: ${output} would not sit in dist/chunks/`);
}
for (const [what, target] of [
  ['the templates (src/config/templates.ts)', path.join(chunksDir, '..', '..', 'templates')],
  ['the package.json (src/cli.ts)', path.join(chunksDir, '..', '..', 'package.json')],
]) {
  if (!existsSync(target)) throw new Error(`bundle: ${what} would not be found from a chunk: ${target}`);
}

// The launcher reads the CommonJS build as latin1 (src/launch.ts), which is the text only if it is
// ASCII, and runs it without a module loader.
for (const file of compiled.outputFiles) {
  if (file.contents.some((byte) => byte > 0x7f))
    throw new Error(`bundle: ${file.path} is not ASCII (esbuild's charset option must stay ascii)`);
  if (!file.text.startsWith('"use strict";'))
    throw new Error(`bundle: ${file.path} must start with "use strict" (its code was written as ES modules)`);
  // An import() there fails when it runs ("a dynamic import callback was not specified").
  if (/[^\w$.]import\(/.test(file.text))
    throw new Error(`bundle: ${file.path} has an import(), which the launcher's vm.Script cannot run`);
}

await mkdir(chunksDir, { recursive: true });
const written = new Set();
/**
 * @param {string} file
 * @param {Uint8Array | string} contents
 * @param {number} [mode]
 */
async function publish(file, contents, mode) {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, contents, mode === undefined ? {} : { mode });
  await rename(temp, file);
  written.add(file);
}
for (const file of [...(result.outputFiles ?? []), ...compiled.outputFiles])
  await publish(file.path, file.contents);
for (const file of launcher.outputFiles ?? [])
  await publish(file.path, file.contents, file.path.endsWith('.cjs') ? 0o755 : undefined);
// `node dist/cli.js` (and the CLI script the TUI starts, src/commands/tui.ts) runs the launcher.
await publish(
  path.join(distDir, 'cli.js'),
  "#!/usr/bin/env node\n// The devenv executable: see dist/devenv.cjs (src/launch.ts).\nimport './devenv.cjs';\n",
  0o755,
);
// The executable the TUI starts for attach and shell (src/commands/tui.ts), seen from a chunk.
if (!written.has(path.join(chunksDir, '..', 'devenv.cjs')))
  throw new Error(
    'bundle: the TUI (src/commands/tui.ts) starts dist/devenv.cjs, which this build did not write',
  );
for (const name of ['monitor.cjs', 'monitor-main.js'])
  if (!written.has(path.join(chunksDir, name)))
    throw new Error(
      `bundle: the monitor (src/launch.ts, src/runtime/embedded/containers/monitor-command.ts) needs dist/chunks/${name}`,
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
