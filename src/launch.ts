/**
 * The devenv executable (docs/hot-paths.md#the-launcher), bundled as CommonJS into `dist/devenv.cjs`;
 * `dist/cli.js` only loads it. It runs the CLI from one of two builds of the same source:
 *
 * - `dist/chunks/cli.cjs`, the whole CLI in one CommonJS file, compiled with a V8 code cache kept in
 *   the user's cache folder. Node 20 caches no compiled code of its own, and compiling devenv's
 *   modules was a fixed part of every command; a cached compile skips it (and Node's ES-module loader,
 *   which costs ~10 ms even for one file). Every command but the TUI runs here.
 * - `dist/chunks/cli.js`, the ES-module build: for the TUI (Ink waits at its top level, which CommonJS
 *   cannot), `devenv` with no arguments (the TUI on a terminal), with `DEVENV_DEBUG=1` (its stack
 *   traces keep the source's names), and whenever `DEVENV_ESM=1` asks.
 *
 * `devenv.cjs __monitor STORE ID` runs the embedded runtime's container monitor the same way, from
 * `dist/chunks/monitor.cjs` with a cache of its own (else `dist/chunks/monitor-main.js`): every start
 * of a container starts one, and compiling its modules was most of the monitor's start. The
 * monitor writes its cache once the container runs (`writeCodeCacheNow`), not when it exits days
 * later or is killed.
 *
 * There is one cache per command (`exec`, `up`, …): each holds what that command compiled, so a
 * command's start deserializes its own code, and the first command after an install (`--version`,
 * say) does not leave every other command a cache with nothing of theirs in it.
 *
 * The packages a command requires from node_modules (zod, yaml, undici…) are compiled by Node itself,
 * with no cache; the launcher compiles them too, while the start is lean, and keeps their code in a
 * second file per command, each module's under the SHA-256 of its source: a module whose source
 * changed is compiled from that source, never from the cache. (node:crypto is required there, at
 * the first package: a warm `exec` requires none, and loading crypto is ~4 ms of its start.)
 *
 * A run that left its command's hot path (src/util/hot-path.ts: it loaded devenv.yml in full, or an
 * `up` built or started something) writes no cache for that command: the runs typed all day would
 * deserialize everything it compiled. The next run on the hot path writes it.
 *
 * A cache file is used only when it is ours and nobody else can write it or its folder (root must not
 * run code another user wrote). By default V8 checks a cache's version, flags and length but not its
 * bytes, and a damaged cache crashes the process; the launcher turns on V8's own checksum of each
 * cache (`--verify-snapshot-checksum`, an Adler-32 of the data, made and checked by V8) before it
 * compiles or writes anything, so a damaged cache is rejected. A missing, foreign, damaged or
 * rejected cache is left aside and written again, atomically, when the command ends.
 */
import type * as Crypto from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import Module from 'node:module';
import path from './util/node-path.js';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script, constants as vmConstants } from 'node:vm';
import { findCommand } from './commands/args.js';

/** First line of a cache file; V8's data (checksummed by V8 itself) or the package entries follow. */
const MAGIC = 'devenv v8 code cache 2\n';
const HEADER_BYTES = MAGIC.length;

/**
 * The flags both sides of every cache run under: V8 takes a cache only under the flags it was made
 * with. The CLI starts with the optimizer off (util/optimizer.ts), and V8 checksums each cache it
 * makes and checks that sum before it uses one.
 */
function setCacheFlags(): void {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--verify-snapshot-checksum');
}

/** The folder of this file once bundled (dist/); CommonJS gives it. */
const DIST = __dirname;

/**
 * Whether this run takes the ES-module build. `DEVENV_DEBUG=1` prints the stack trace of a bug, and
 * the CommonJS build's functions have minified names (scripts/bundle.mjs), so it takes the ES-module
 * build, whose names are the source's.
 */
function wantsEsm(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env['DEVENV_ESM'] === '1' || env['DEVENV_DEBUG'] === '1' || argv.length === 0) return true;
  return findCommand(argv)?.name === 'tui';
}

/** The folder for the code cache: `$XDG_CACHE_HOME/devenv`, else `~/.cache/devenv`. */
function cacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'devenv');
  const home = env['HOME'];
  return home !== undefined && path.isAbsolute(home) ? path.join(home, '.cache', 'devenv') : undefined;
}

/** Whether `stats` belong to this user and nobody else may write there. */
function ours(stats: Stats): boolean {
  return stats.uid === process.geteuid?.() && (stats.mode & 0o022) === 0;
}

/** The cached data in `file` when it is ours and of this format; else undefined. V8 checks the rest. */
function readCache(file: string): Buffer | undefined {
  try {
    const folder = lstatSync(path.dirname(file));
    const stats = lstatSync(file);
    if (!folder.isDirectory() || !ours(folder) || !stats.isFile() || !ours(stats)) return undefined;
    const data = readFileSync(file);
    if (data.length <= HEADER_BYTES || data.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    return data.subarray(HEADER_BYTES);
  } catch {
    return undefined;
  }
}

let crypto: typeof Crypto | undefined;

/** The SHA-256 of `data` in hex, for the packages cache (node:crypto required at the first call). */
function sha256(data: string | Buffer): string {
  crypto ??= Module.createRequire(__filename)('node:crypto') as typeof Crypto;
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Writes the cache `file` (beside it, then renamed), and removes the caches of other builds of the
 * same file: those whose name starts with its stem (`cli-`, `monitor-`) but not with `build`.
 */
function writeCache(file: string, build: string, make: () => Buffer): void {
  const folder = path.dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!ours(lstatSync(folder))) return;
    writeFileSync(temp, Buffer.concat([Buffer.from(MAGIC, 'latin1'), make()]), { mode: 0o600 });
    renameSync(temp, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith(`${build.slice(0, build.indexOf('-'))}-`) && !name.startsWith(build))
        rmSync(path.join(folder, name), { force: true });
    }
  } catch {
    // A cache that cannot be written (a full disk, say) only means the next command compiles again.
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing more to do from an exit handler.
    }
  }
}

/** The part of a cache's name that says which command made it: its name, or `other`. */
function commandKey(argv: readonly string[]): string {
  const name = findCommand(argv)?.name ?? '';
  return /^[a-z][a-z-]{0,19}$/.test(name) ? name : 'other';
}

/** Where src/util/optimizer.ts says whether the start is still lean (the optimizer off). */
const LEAN_FLAG = Symbol.for('devenv.lean-start');

/** Where src/util/hot-path.ts says that this run left its command's hot path. */
const OFF_HOT_PATH = Symbol.for('devenv.off-hot-path');

/** The hidden first argument that runs the container monitor (src/runtime/embedded/containers/monitor-command.ts). */
const MONITOR_ARG = '__monitor';

/**
 * Where the launcher puts a function that writes the caches this run has to write now instead of at
 * its exit (src/util/code-cache.ts); each is written once.
 */
const WRITE_NOW = Symbol.for('devenv.write-code-cache-now');

/** The cache writes this run owes, done at exit or when the program asks (WRITE_NOW). */
const pendingWrites: (() => void)[] = [];

function writePending(): void {
  const writes = pendingWrites.splice(0);
  if (writes.length === 0) return;
  // V8 takes a cache only under the flags it was made with: the lean start's. A program that asks
  // before its exit gets the optimizer back if it had turned it on.
  const optimizing = (globalThis as Record<symbol, unknown>)[LEAN_FLAG] === false;
  setCacheFlags();
  for (const write of writes) write();
  if (optimizing) setFlagsFromString('--opt');
}

/** One module's cached code: the SHA-256 of its source, and V8's data. */
interface PackageEntry {
  digest: string;
  data: Buffer;
}

/**
 * The entries of a package cache's payload: the SHA-256 of the rest and a newline, then a count, and
 * for each module its file name, the SHA-256 of its source and V8's data, lengths as 32-bit
 * little-endian. A payload whose digest does not match, or that does not add up, gives no entries.
 * (Only a command that requires a package reads this file, and it loads node:crypto anyway.)
 */
function readPackageEntries(payload: Buffer | undefined): Map<string, PackageEntry> {
  const entries = new Map<string, PackageEntry>();
  if (payload === undefined || payload.length <= 65 || payload[64] !== 0x0a) return entries;
  if (sha256(payload.subarray(65)) !== payload.toString('latin1', 0, 64)) return entries;
  try {
    let at = 65;
    const u32 = (): number => {
      const value = payload.readUInt32LE(at);
      at += 4;
      return value;
    };
    const bytes = (length: number): Buffer => {
      if (at + length > payload.length) throw new RangeError('short');
      const slice = payload.subarray(at, at + length);
      at += length;
      return slice;
    };
    for (let count = u32(); count > 0; count--) {
      const name = bytes(u32()).toString('utf8');
      const digest = bytes(64).toString('latin1');
      entries.set(name, { digest, data: bytes(u32()) });
    }
    if (at !== payload.length) entries.clear();
  } catch {
    entries.clear();
  }
  return entries;
}

function writePackageEntries(entries: ReadonlyMap<string, PackageEntry>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (value: number): Buffer => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    return buffer;
  };
  parts.push(u32(entries.size));
  for (const [name, { digest, data }] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    parts.push(u32(nameBytes.length), nameBytes, Buffer.from(digest, 'latin1'), u32(data.length), data);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(`${sha256(body)}\n`, 'latin1'), body]);
}

/**
 * A module's `require`, from public parts: Node's own for its file name (resolve, cache…), loading
 * through `module.require` so the module is the parent, as Node does.
 */
function requireFor(module: Module, filename: string): NodeJS.Require {
  const require = (id: string): unknown => module.require(id);
  return Object.assign(require, Module.createRequire(filename));
}

/**
 * Compiles the CommonJS modules the command requires (the packages in node_modules) with the code
 * kept in `cacheFile`, while the start is lean, and writes that file again at the end when a module
 * had no usable entry. Entries of modules this run did not load are kept.
 */
function cachePackages(cacheFile: string, build: string): void {
  // Read at the first package, so a command that requires none (a warm exec) never reads it.
  let stored: Map<string, PackageEntry> | undefined;
  const entries = (): Map<string, PackageEntry> => (stored ??= readPackageEntries(readCache(cacheFile)));
  const compiled = new Map<string, { digest: string; script: Script }>();
  // Node's own compile step for CommonJS, which it calls with each module's source.
  const proto = Module.prototype as unknown as {
    _compile: (this: Module, content: string, filename: string, format?: string) => unknown;
  };
  const compile = proto._compile;
  proto._compile = function (this: Module, content: string, filename: string, format?: string): unknown {
    // Anything but plain CommonJS (an ES module that require() loads, say) is Node's to compile.
    if (
      (globalThis as Record<symbol, unknown>)[LEAN_FLAG] !== true ||
      (format !== undefined && format !== 'commonjs')
    )
      return compile.call(this, content, filename, format);
    const digest = sha256(content);
    const entry = entries().get(filename);
    const script = new Script(Module.wrap(content), {
      filename,
      cachedData: entry?.digest === digest ? entry.data : undefined,
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (entry?.digest !== digest || script.cachedDataRejected === true)
      compiled.set(filename, { digest, script });
    const run = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return run.call(
      this.exports,
      this.exports,
      requireFor(this, filename),
      this,
      filename,
      path.dirname(filename),
    );
  };
  pendingWrites.push(() => {
    if (compiled.size === 0) return;
    writeCache(cacheFile, build, () => {
      const all = entries();
      for (const [name, { digest, script }] of compiled)
        all.set(name, { digest, data: script.createCachedData() });
      return writePackageEntries(all);
    });
  });
}

/**
 * Runs `dist/chunks/<name>` (a CommonJS build) with the code cache kept under `key`; false when that
 * build is missing.
 */
function runCompiled(name: string, key: string, env: NodeJS.ProcessEnv): boolean {
  const file = path.join(DIST, 'chunks', name);
  let source: string;
  let stats: Stats;
  try {
    // The build writes ASCII only (scripts/bundle.mjs checks), so latin1 reads the same text and
    // skips the UTF-8 decoder.
    source = readFileSync(file, 'latin1');
    stats = statSync(file);
  } catch {
    return false;
  }
  setCacheFlags();
  const folder = cacheFolder(env);
  // `cli-…` or `monitor-…`: each build's caches replace only those of an earlier build of that file.
  const stem = path.basename(name, '.cjs');
  const build = `${stem}-${process.version}-${process.arch}-${stats.size}-${Math.trunc(stats.mtimeMs)}-`;
  const cacheFile = folder === undefined ? undefined : path.join(folder, `${build}${key}.v8`);
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile);
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At the end, so the cache holds every function this command compiled, not only the top level;
    // and only from a run that stayed on the command's hot path (src/util/hot-path.ts).
    pendingWrites.push(() => {
      if ((globalThis as Record<symbol, unknown>)[OFF_HOT_PATH] === true) return;
      writeCache(cacheFile, build, () => script.createCachedData());
    });
  }
  if (folder !== undefined) cachePackages(path.join(folder, `${build}${key}.packages.v8`), build);
  process.once('exit', writePending);
  (globalThis as Record<symbol, unknown>)[WRITE_NOW] = writePending;
  const module = new Module(file);
  module.filename = file;
  const require = Module.createRequire(file);
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    require,
    module,
    file,
    path.dirname(file),
  );
  return true;
}

const argv = process.argv.slice(2);
if (argv[0] === MONITOR_ARG) {
  // The monitor reads its store and container from process.argv.slice(2).
  process.argv.splice(2, 1);
  if (process.env['DEVENV_ESM'] === '1' || !runCompiled('monitor.cjs', 'monitor', process.env))
    void import(pathToFileURL(path.join(DIST, 'chunks', 'monitor-main.js')).href);
} else if (wantsEsm(argv, process.env) || !runCompiled('cli.cjs', commandKey(argv), process.env)) {
  void import(pathToFileURL(path.join(DIST, 'chunks', 'cli.js')).href);
}
