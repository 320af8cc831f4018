/**
 * The promise forms of the file calls devenv makes, without `node:fs/promises`. Loading that module
 * brings Node's readline interface, fs streams, directory and watcher modules along, ~5 ms of a warm
 * `exec` or a no-op `up -d` on the machines devenv is benchmarked on, for calls that the callback API
 * makes as well (docs/hot-paths.md#the-launcher). devenv's modules import their file calls from here,
 * never from `node:fs/promises`.
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

export type { FileHandle } from 'node:fs/promises';
export const { constants } = fs;
export const access = promisify(fs.access);
export const chmod = promisify(fs.chmod);
export const close = promisify(fs.close);
export const copyFile = promisify(fs.copyFile);
export const fstat = promisify(fs.fstat);
export const lchown = promisify(fs.lchown);
export const link = promisify(fs.link);
export const lstat = promisify(fs.lstat);
export const lutimes = promisify(fs.lutimes);
export const mkdir = promisify(fs.mkdir);
/** `open(2)` as a plain descriptor, where a FileHandle (and `fs/promises` with it) is not needed. */
export const openDescriptor = promisify(fs.open);
export const mkdtemp = promisify(fs.mkdtemp);
export const readdir = promisify(fs.readdir) as typeof FsPromises.readdir;
export const readFile = promisify(fs.readFile) as typeof FsPromises.readFile;
/** `readFile` of an open descriptor, from its offset to its end. */
export const readDescriptor = promisify(fs.readFile) as (fd: number) => Promise<Buffer>;
export const readlink = promisify(fs.readlink);
export const realpath = promisify(fs.realpath.native) as typeof FsPromises.realpath;
export const rename = promisify(fs.rename);
export const rm = promisify(fs.rm);
export const rmdir = promisify(fs.rmdir);
export const stat = promisify(fs.stat);
export const statfs = promisify(fs.statfs);
export const symlink = promisify(fs.symlink);
export const unlink = promisify(fs.unlink);
export const utimes = promisify(fs.utimes);
export const writeFile = promisify(fs.writeFile);

let promises: typeof FsPromises | undefined;

/** `fs/promises`' `open`, the module required on the first call. */
export function open(...args: Parameters<typeof FsPromises.open>): ReturnType<typeof FsPromises.open> {
  promises ??= createRequire(import.meta.url)('node:fs/promises') as typeof FsPromises;
  return promises.open(...args);
}
