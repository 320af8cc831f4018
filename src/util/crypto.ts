/**
 * `node:crypto`, loaded when a command first hashes or draws random bytes. Loading it costs ~4 ms of
 * a start on the machines devenv is benchmarked on (its streams, ciphers, keys…), which a warm
 * `exec` would pay for nothing if a module on its path imported it at its top
 * (docs/hot-paths.md#the-launcher). devenv's modules take `createHash` and `randomBytes` from here, which
 * load the module at their first call, never from `node:crypto` at their top.
 */
import { createRequire } from 'node:module';
import type * as CryptoModule from 'node:crypto';

let loaded: typeof CryptoModule | undefined;

/** The `node:crypto` module, required on the first call. */
export function crypto(): typeof CryptoModule {
  loaded ??= createRequire(import.meta.url)('node:crypto') as typeof CryptoModule;
  return loaded;
}

/** `node:crypto`'s `createHash`, the module required on the first call. */
export function createHash(
  ...args: Parameters<typeof CryptoModule.createHash>
): ReturnType<typeof CryptoModule.createHash> {
  return crypto().createHash(...args);
}

/** `node:crypto`'s synchronous `randomBytes`, the module required on the first call. */
export function randomBytes(size: number): Buffer {
  return crypto().randomBytes(size);
}
