/**
 * The promise forms of the file calls the hot commands make, without `node:fs/promises`. Loading
 * that module brings Node's readline interface, fs streams, directory and watcher modules along,
 * ~5 ms of a warm `exec` on the machines devenv is benchmarked on, for calls that the callback API
 * makes as well (docs/hot-paths.md#the-launcher). The modules on the hot paths import from
 * here; the rest of devenv keeps `node:fs/promises`.
 *
 * Each is the callback call of `node:fs` wrapped by `util.promisify`: the same syscall, the same
 * error (code, syscall, path, message). `realpath` is the native one, as `fs/promises` uses.
 * `open` returns a FileHandle, which only `fs/promises` makes, so it requires that module on its
 * first call.
 */
import fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

export const { constants } = fs;
export const access = promisify(fs.access);
export const lstat = promisify(fs.lstat);
export const mkdir = promisify(fs.mkdir);
export const readdir = promisify(fs.readdir) as typeof FsPromises.readdir;
export const readFile = promisify(fs.readFile) as typeof FsPromises.readFile;
export const realpath = promisify(fs.realpath.native) as typeof FsPromises.realpath;
export const rename = promisify(fs.rename);
export const rm = promisify(fs.rm);
export const stat = promisify(fs.stat);
export const writeFile = promisify(fs.writeFile);

let promises: typeof FsPromises | undefined;

/** `fs/promises`' `open`, the module required on the first call. */
export function open(...args: Parameters<typeof FsPromises.open>): ReturnType<typeof FsPromises.open> {
  promises ??= createRequire(import.meta.url)('node:fs/promises') as typeof FsPromises;
  return promises.open(...args);
}
