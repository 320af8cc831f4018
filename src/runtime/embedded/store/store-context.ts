/** What every part of an open store shares: its paths, the clock and the store-wide lock. */
import { withLock } from '../../../util/lock.js';
import type { StorePaths } from './paths.js';

/** Shared by the blob, layer, image, ref and lease parts of one open store. */
export interface StoreContext {
  paths: StorePaths;
  /** Milliseconds since the epoch; injected so lease expiry can be tested. */
  now: () => number;
  /** How long to wait for a lock another process holds before failing with DEVENV_BUSY. */
  lockTimeoutMs: number;
  /**
   * Runs `action` under the store lock. Every change that adds or drops a reference (a blob or layer
   * reaching its final name together with its lease entry, an image record, refs.json, a lease
   * release) holds it briefly, and prune and move hold it throughout, so a sweep never sees an object
   * without also seeing what protects it.
   */
  withStoreLock<T>(purpose: string, action: () => Promise<T>): Promise<T>;
}

/** Builds a context for the store at `paths`. */
export function createContext(paths: StorePaths, now: () => number, lockTimeoutMs: number): StoreContext {
  return {
    paths,
    now,
    lockTimeoutMs,
    withStoreLock: (purpose, action) =>
      withLock(paths.storeLock, { timeoutMs: lockTimeoutMs, purpose }, action),
  };
}
