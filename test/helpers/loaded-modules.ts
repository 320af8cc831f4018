/**
 * Which modules a real CLI run loads: runs `node --import <hook> dist/devenv.cjs …` with a module
 * hook that appends every URL Node resolves to a file, and returns them (each once, in load order).
 * Tests use it to prove a hot command never loads a heavy package (yaml, zod, cosmiconfig) or module
 * of ours, and benchmarks to count the module graph. Chunks of the bundled CLI count as the modules
 * in them.
 *
 * The CLI has two builds of the same source (src/launch.ts). By default the run takes the ES-module
 * build, whose chunks show which of devenv's modules loaded. With `compiled`, it takes the CommonJS
 * build every command but the TUI runs from, in one file, so only the packages it requires (a
 * require hook) are seen.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI } from './cli.js';
import type { CliOptions, CliResult } from './cli.js';

// The hooks run on Node's loader thread; an append per resolution is the simplest channel back that
// survives however the process ends (an exit status, process.exit, a crash).
const HOOKS = `
import { appendFileSync } from 'node:fs';
const out = process.env.DEVENV_TRACE_MODULES;
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (out) appendFileSync(out, resolved.url + '\\t' + (context.parentURL ?? '') + '\\n');
  return resolved;
}
`;
const REGISTER = `
import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url));
`;
// The same for require(), which the ES-module hooks do not see in Node 20.
const REQUIRE_HOOK = `
const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');
const out = process.env.DEVENV_TRACE_MODULES;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const file = resolve.call(this, request, parent, ...rest);
  const url = file.startsWith('/') ? pathToFileURL(file).href : 'node:' + file.replace(/^node:/, '');
  const from = parent && parent.filename ? pathToFileURL(parent.filename).href : '';
  if (out) appendFileSync(out, url + '\\t' + from + '\\n');
  return file;
};
// Node's own modules (which the hook above does not see) loaded after this point, listed at exit.
const builtinsOut = process.env.DEVENV_TRACE_BUILTINS;
const atStart = new Set(process.moduleLoadList);
process.on('exit', () => {
  const loaded = process.moduleLoadList.filter((m) => !atStart.has(m) && m.startsWith('NativeModule '));
  if (builtinsOut) appendFileSync(builtinsOut, loaded.map((m) => m.slice('NativeModule '.length) + '\\n').join(''));
});
`;

/** A CLI run with the modules it loaded. */
export interface TracedRun extends CliResult {
  /** Every resolved URL (`file:` and `node:`), each once, in the order first resolved. */
  modules: string[];
  /** Each resolved URL → the URLs of the modules that imported it. */
  importers: Map<string, Set<string>>;
  /**
   * With `compiled`: Node's own modules the run loaded (`crypto`, `fs/promises`, `internal/…`), from
   * `process.moduleLoadList` at exit, less those loaded before the CLI's launcher started.
   */
  builtins: string[];
}

/**
 * The modules outside `pkg` that import it: who brought the package in. The hook sees every
 * resolution, so a package required from CommonJS shows only its entry, still with its importer.
 */
export function importersOf(run: TracedRun, pkg: string): string[] {
  const found = new Set<string>();
  for (const [url, parents] of run.importers)
    if (packageOf(url) === pkg) for (const p of parents) if (packageOf(p) !== pkg) found.add(p);
  return [...found].sort();
}

// Ends the process at its first write to stdout, with status 99: what was loaded by then is what
// the first frame of a full-screen program cost.
const FIRST_WRITE = `
process.stdout.write = () => process.exit(99);
`;

/**
 * Runs `devenv ...args` and records every module it loads; never throws on a non-zero exit. Its
 * stdin is `options.input` through a pipe, or the file `stdinFile` itself (its descriptor). With
 * `untilFirstWrite`, it runs on a terminal (`script`, util-linux) and ends at its first write to
 * stdout (status 99): the modules a full-screen program loads before its first frame.
 */
export async function tracedDevenv(
  args: readonly string[],
  options: CliOptions & { untilFirstWrite?: boolean; compiled?: boolean; stdinFile?: string } = {},
): Promise<TracedRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-trace-'));
  try {
    await writeFile(path.join(dir, 'hooks.mjs'), HOOKS);
    await writeFile(path.join(dir, 'register.mjs'), REGISTER);
    const out = path.join(dir, 'modules.txt');
    await writeFile(out, '');
    const builtinsOut = path.join(dir, 'builtins.txt');
    await writeFile(builtinsOut, '');
    await writeFile(path.join(dir, 'first-write.mjs'), FIRST_WRITE);
    await writeFile(path.join(dir, 'require-hook.cjs'), REQUIRE_HOOK);
    const compiled = options.compiled === true;
    const argv = [
      process.execPath,
      ...(compiled
        ? ['--require', path.join(dir, 'require-hook.cjs')]
        : ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href]),
      ...(options.untilFirstWrite === true
        ? ['--import', pathToFileURL(path.join(dir, 'first-write.mjs')).href]
        : []),
      CLI,
      ...args,
    ];
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // With stdinFile, a shell opens the file as the CLI's stdin (execa would pipe it instead).
    const [file, ...rest] =
      options.untilFirstWrite === true
        ? ['script', '-qefc', quoted, '/dev/null']
        : options.stdinFile === undefined
          ? argv
          : ['/bin/sh', '-c', 'file=$1; shift; exec "$@" <"$file"', 'sh', options.stdinFile, ...argv];
    const result = await execa(file as string, rest, {
      cwd: options.cwd,
      env: {
        NO_COLOR: '1',
        ...options.env,
        DEVENV_ESM: compiled ? undefined : '1',
        DEVENV_TRACE_MODULES: out,
        DEVENV_TRACE_BUILTINS: builtinsOut,
      },
      input: options.stdinFile === undefined ? (options.input ?? '') : undefined,
      reject: false,
      timeout: options.timeout ?? 120_000,
    });
    const importers = new Map<string, Set<string>>();
    for (const line of (await readFile(out, 'utf8')).split('\n')) {
      if (line === '') continue;
      const [url = '', parent = ''] = line.split('\t');
      const set = importers.get(url) ?? new Set<string>();
      if (parent !== '') set.add(parent);
      importers.set(url, set);
    }
    await expandBundle(importers);
    return {
      exitCode: result.exitCode ?? -1,
      stdout: result.stdout,
      stderr: result.stderr,
      modules: [...importers.keys()],
      importers,
      builtins: (await readFile(builtinsOut, 'utf8')).split('\n').filter((name) => name !== ''),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The CLI is an esbuild bundle (scripts/bundle.mjs): a loaded `dist/cli.js` or `dist/chunks/*.js`
 * stands for the source modules in it, which `dist/bundle-meta.json` lists. Each is added as the
 * URL tsc would have given it (`dist/config/validate.js`), imported by the file that holds it, so a
 * question about devenv's own modules has the same answer bundled or not.
 */
async function expandBundle(importers: Map<string, Set<string>>): Promise<void> {
  const dist = path.dirname(CLI);
  const meta = JSON.parse(await readFile(path.join(dist, 'bundle-meta.json'), 'utf8')) as Record<
    string,
    string[]
  >;
  for (const url of [...importers.keys()]) {
    if (!url.startsWith('file:')) continue;
    const inside = meta[path.relative(dist, fileURLToPath(url))];
    for (const module of inside ?? []) {
      const moduleUrl = pathToFileURL(path.join(dist, module)).href;
      const set = importers.get(moduleUrl) ?? new Set<string>();
      set.add(url);
      importers.set(moduleUrl, set);
    }
  }
}

/**
 * The package a module URL lies in (its folder under node_modules), if any. The CommonJS build takes
 * execa from a bundle of its own beside it (scripts/bundle.mjs), which counts as execa.
 */
export function packageOf(url: string): string | undefined {
  if (url.endsWith('/dist/chunks/execa.cjs')) return 'execa';
  return /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
}

/** The npm packages among `modules`, each once, sorted. */
export function packagesOf(modules: readonly string[]): string[] {
  const names = new Set<string>();
  for (const url of modules) {
    const name = packageOf(url);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}
