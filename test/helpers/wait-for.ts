/** Waiting on a condition instead of sleeping a guessed time, which a loaded machine outlasts. */

/**
 * Resolves once `check` returns true (it is polled every 50 ms); rejects naming `what` after
 * `timeoutMs`, generous by default because the machine may be busy.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
