/**
 * The promise forms of the file calls devenv makes, without `node:fs/promises`. Loading that module
 * brings Node's readline interface, fs streams, directory and watcher modules along, ~5 ms of a warm
 * `exec` or a no-op `up -d` on the machines devenv is benchmarked on, for calls that the callback API
 * makes as well (docs/hot-paths.md#the-launcher). devenv's modules import their file calls from here,
 * never from `node:fs/promises`.
 *
 * Each is the callback call of `node:fs` made into a promise, as `util.promisify` would make it: the
 * same syscall, the same error (code, syscall, path, message), and util.promisify's types. It is
 * not util.promisify itself, which copies each function's properties onto its wrapper: ~0.5 ms for
 * these at the start of every command (docs/hot-paths.md). `realpath` is the native one, as
 * `fs/promises` uses. `open` returns a FileHandle, which only `fs/promises` makes, so it requires
 * that module on its first call.
 */
import {
  access as accessCallback,
  chmod as chmodCallback,
  close as closeCallback,
  copyFile as copyFileCallback,
  fstat as fstatCallback,
  lchown as lchownCallback,
  link as linkCallback,
  lstat as lstatCallback,
  lutimes as lutimesCallback,
  mkdir as mkdirCallback,
  open as openCallback,
  mkdtemp as mkdtempCallback,
  readdir as readdirCallback,
  readFile as readFileCallback,
  readlink as readlinkCallback,
  realpath as realpathCallback,
  rename as renameCallback,
  rm as rmCallback,
  rmdir as rmdirCallback,
  stat as statCallback,
  statfs as statfsCallback,
  symlink as symlinkCallback,
  unlink as unlinkCallback,
  utimes as utimesCallback,
  writeFile as writeFileCallback,
} from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { createRequire } from 'node:module';

export type { FileHandle } from 'node:fs/promises';
export { constants } from 'node:fs';

/**
 * `call` with a callback added that settles the returned promise. Only for calls whose callback
 * gets `(error, value)`, which all of these do (none has util.promisify's custom form).
 */
function promised(call: (...args: never[]) => void): (...args: unknown[]) => Promise<unknown> {
  const callback = call as unknown as (...args: unknown[]) => void;
  return (...args) =>
    new Promise((resolve, reject) => {
      callback(...args, (error: Error | null | undefined, value?: unknown) => {
        if (error === null || error === undefined) resolve(value);
        else reject(error);
      });
    });
}

export const access = promised(accessCallback) as typeof accessCallback.__promisify__;
export const chmod = promised(chmodCallback) as typeof chmodCallback.__promisify__;
export const close = promised(closeCallback) as typeof closeCallback.__promisify__;
export const copyFile = promised(copyFileCallback) as typeof copyFileCallback.__promisify__;
export const fstat = promised(fstatCallback) as typeof fstatCallback.__promisify__;
export const lchown = promised(lchownCallback) as typeof lchownCallback.__promisify__;
export const link = promised(linkCallback) as typeof linkCallback.__promisify__;
export const lstat = promised(lstatCallback) as typeof lstatCallback.__promisify__;
export const lutimes = promised(lutimesCallback) as typeof lutimesCallback.__promisify__;
export const mkdir = promised(mkdirCallback) as typeof mkdirCallback.__promisify__;
/** `open(2)` as a plain descriptor, where a FileHandle (and `fs/promises` with it) is not needed. */
export const openDescriptor = promised(openCallback) as typeof openCallback.__promisify__;
export const mkdtemp = promised(mkdtempCallback) as typeof mkdtempCallback.__promisify__;
export const readdir = promised(readdirCallback) as typeof FsPromises.readdir;
export const readFile = promised(readFileCallback) as typeof FsPromises.readFile;
/** `readFile` of an open descriptor, from its offset to its end. */
export const readDescriptor = promised(readFileCallback) as (fd: number) => Promise<Buffer>;
export const readlink = promised(readlinkCallback) as typeof readlinkCallback.__promisify__;
export const realpath = promised(realpathCallback.native) as typeof FsPromises.realpath;
export const rename = promised(renameCallback) as typeof renameCallback.__promisify__;
export const rm = promised(rmCallback) as typeof rmCallback.__promisify__;
export const rmdir = promised(rmdirCallback) as typeof rmdirCallback.__promisify__;
export const stat = promised(statCallback) as typeof statCallback.__promisify__;
export const statfs = promised(statfsCallback) as typeof statfsCallback.__promisify__;
export const symlink = promised(symlinkCallback) as typeof symlinkCallback.__promisify__;
export const unlink = promised(unlinkCallback) as typeof unlinkCallback.__promisify__;
export const utimes = promised(utimesCallback) as typeof utimesCallback.__promisify__;
export const writeFile = promised(writeFileCallback) as typeof writeFileCallback.__promisify__;

let promises: typeof FsPromises | undefined;

/** `fs/promises`' `open`, the module required on the first call. */
export function open(...args: Parameters<typeof FsPromises.open>): ReturnType<typeof FsPromises.open> {
  promises ??= createRequire(import.meta.url)('node:fs/promises') as typeof FsPromises;
  return promises.open(...args);
}
