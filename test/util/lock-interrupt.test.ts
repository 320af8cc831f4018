/** An interrupt ends the wait for a lock another process holds: the helper goes, the holder keeps it. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/util/lock.js';
import { InterruptedError } from '../../src/util/interrupt.js';

describe('lock wait and ctrl-c', () => {
  it('rejects with the interruption and leaves the lock to its holder', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-int-')), 'lock');
    const holder = await acquireLock(file);
    try {
      const controller = new AbortController();
      let waited = '';
      const waiting = acquireLock(file, {
        signal: controller.signal,
        onWait: (who) => {
          waited = who;
          controller.abort(new InterruptedError('SIGTERM'));
        },
      });
      await expect(waiting).rejects.toThrow('interrupted by SIGTERM');
      expect(waited).not.toBe('');
      expect(holder.lost).toBe(false);
    } finally {
      await holder.release();
    }
    // Nothing of the interrupted waiter holds on: the lock is free again.
    const again = await acquireLock(file, { timeoutMs: 60_000 });
    await again.release();
  });

  it('an interrupt that already happened does not start waiting', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-int-')), 'lock');
    await expect(acquireLock(file, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(InterruptedError);
  });
});
