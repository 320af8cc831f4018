/**
 * The devenv executable (docs/hot-paths.md#the-launcher), bundled as CommonJS into `dist/devenv.cjs`;
 * `dist/cli.js` only loads it. It runs the CLI from one of two builds of the same source:
 *
 * - `dist/chunks/cli.cjs`, the whole CLI in one CommonJS file, compiled with a V8 code cache kept in
 *   the user's cache folder. Node 20 caches no compiled code of its own, and compiling devenv's
 *   modules was a fixed part of every command; a cached compile skips it (and Node's ES-module loader,
 *   which costs ~10 ms even for one file). Every command but the TUI runs here.
 * - `dist/chunks/cli.js`, the ES-module build: for the TUI (Ink waits at its top level, which CommonJS
 *   cannot), `devenv` with no arguments (the TUI on a terminal), and whenever `DEVENV_ESM=1` asks.
 *
 * There is one cache per command (`exec`, `up`, …): each holds what that command compiled, so a
 * command's start deserializes its own code, and the first command after an install (`--version`,
 * say) does not leave every other command a cache with nothing of theirs in it.
 *
 * A cache file is used only when it is ours and nobody else can write it or its folder (root must not
 * run code another user wrote), and when its SHA-256 matches: V8 checks a cache's version, flags and
 * length, but not its bytes, and a damaged cache crashes the process. A missing, foreign, damaged or
 * rejected cache is left aside and written again, atomically, when the command ends.
 */
import { createHash } from 'node:crypto';
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
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { findCommand } from './commands/args.js';

/** First line of a cache file; the SHA-256 of the rest follows on the second. */
const MAGIC = 'devenv v8 code cache 1\n';
const HEADER_BYTES = MAGIC.length + 64 + 1;

/** The folder of this file once bundled (dist/); CommonJS gives it. */
const DIST = __dirname;

/** Whether this run takes the ES-module build. */
function wantsEsm(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env['DEVENV_ESM'] === '1' || argv.length === 0) return true;
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

/** The cached data in `file` when it is ours, whole and unchanged; else undefined. */
function readCache(file: string): Buffer | undefined {
  try {
    const folder = lstatSync(path.dirname(file));
    const stats = lstatSync(file);
    if (!folder.isDirectory() || !ours(folder) || !stats.isFile() || !ours(stats)) return undefined;
    const data = readFileSync(file);
    if (data.length <= HEADER_BYTES || data.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const digest = data.toString('latin1', MAGIC.length, MAGIC.length + 64);
    const payload = data.subarray(HEADER_BYTES);
    return createHash('sha256').update(payload).digest('hex') === digest ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache `file` (beside it, then renamed), and removes the caches of other builds: those
 * whose name does not start with `build`.
 */
function writeCache(file: string, build: string, make: () => Buffer): void {
  const folder = path.dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!ours(lstatSync(folder))) return;
    const payload = make();
    const digest = createHash('sha256').update(payload).digest('hex');
    writeFileSync(temp, Buffer.concat([Buffer.from(`${MAGIC}${digest}\n`, 'latin1'), payload]), {
      mode: 0o600,
    });
    renameSync(temp, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith('cli-') && !name.startsWith(build))
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

/** Runs the CommonJS build with the code cache; false when that build is missing. */
function runCompiled(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const file = path.join(DIST, 'chunks', 'cli.cjs');
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
  // The CLI starts with the optimizer off (util/optimizer.ts); V8 accepts a cache only under the
  // flags it was made with, so both sides of the cache see them off.
  setFlagsFromString('--no-opt');
  const folder = cacheFolder(env);
  const build = `cli-${process.version}-${process.arch}-${stats.size}-${Math.trunc(stats.mtimeMs)}-`;
  const cacheFile = folder === undefined ? undefined : path.join(folder, `${build}${commandKey(argv)}.v8`);
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile);
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At the end, so the cache holds every function this command compiled, not only the top level.
    process.once('exit', () => {
      setFlagsFromString('--no-opt');
      writeCache(cacheFile, build, () => script.createCachedData());
    });
  }
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
if (wantsEsm(argv, process.env) || !runCompiled(argv, process.env)) {
  void import(pathToFileURL(path.join(DIST, 'chunks', 'cli.js')).href);
}
