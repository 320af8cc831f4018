/** A value computed on first use and shared from then on. */

/**
 * Wraps `compute` so that it runs on the first call only; that call and every later or concurrent
 * one get the same promise, so callers racing to be first still share one computation. A rejection
 * is kept like a result: the things cached this way (an opened store, a probe of the host) would
 * fail the same way again within one command run.
 */
export function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= compute());
}
