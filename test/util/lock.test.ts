/**
 * Many locks in one process: each is really held against other processes (checked with a separate
 * `flock -n`), no process stays behind per lock (only the one shared lock helper), a child started
 * while a lock is held does not keep it after the release, and a helper that dies takes its locks
 * with it and says so. `withLock` is re-entrant within one async call chain and only there, and
 * leaves Node's promise hooks off once no locked action runs.
 */
import { executionAsyncId } from 'node:async_hooks';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { acquireLock, withLock } from '../../src/util/lock.js';

/** Whether another process could take `file` right now (`flock -n` exits 1 when it is held). */
function freeElsewhere(file: string): boolean {
  const result = spawnSync('flock', ['--nonblock', '--exclusive', file, 'true']);
  return result.status === 0;
}

/** The command name of a live process. */
function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** Pids of this process's live children (every thread's list). */
function children(): number[] {
  const tasks = readdirSync(`/proc/${process.pid}/task`);
  return tasks.flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter((pid) => pid !== '')
      .map(Number),
  );
}

describe('locks held by this process', { timeout: 60_000 }, () => {
  it('twenty locks at once: all held elsewhere, no process per lock (one shared helper), all free after release', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-many-'));
    const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `${i}.lock`));
    const before = children();
    // Seven go through the helper's descriptors, the other thirteen the slow way.
    const locks = await Promise.all(files.map((file) => acquireLock(file)));
    try {
      const started = children().filter((pid) => !before.includes(pid));
      expect(started.length).toBeLessThanOrEqual(1);
      expect(started.map(commandOf).filter((name) => name !== 'sh')).toEqual([]);
      for (const file of files) expect(freeElsewhere(file), file).toBe(false);
    } finally {
      for (const lock of locks) await lock.release();
    }
    for (const file of files) expect(freeElsewhere(file), file).toBe(true);
    expect(locks.every((lock) => !lock.lost)).toBe(true);
  });

  it('a child started while the lock is held does not keep it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-child-'));
    const file = path.join(dir, 'x.lock');
    const sleeper = await withLock(file, {}, () =>
      Promise.resolve(spawn('sleep', ['30'], { stdio: 'ignore' })),
    );
    try {
      expect(freeElsewhere(file)).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('two acquisitions of one file in one process exclude each other', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-self-'));
    const file = path.join(dir, 'x.lock');
    const first = await acquireLock(file);
    await expect(acquireLock(file, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'DEVENV_BUSY' });
    await first.release();
    await (await acquireLock(file, { timeoutMs: 10_000 })).release();
  });

  it('a lock file in a folder that does not exist is a clear store error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-missing-'));
    await expect(acquireLock(path.join(dir, 'no', 'such', 'x.lock'))).rejects.toMatchObject({
      code: 'DEVENV_STORE',
    });
  });

  it('a lock whose path the helper cannot carry (a newline) is taken the slow way, and holds', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-newline-'));
    const file = path.join(dir, 'x\ny.lock');
    const lock = await acquireLock(file);
    try {
      expect(freeElsewhere(file)).toBe(false);
    } finally {
      await lock.release();
    }
    expect(freeElsewhere(file)).toBe(true);
  });
});

/** The async ID a promise callback runs under: 0 while Node's promise hooks are off. */
function promiseAsyncId(): Promise<number> {
  return Promise.resolve().then(() => executionAsyncId());
}

describe('withLock', { timeout: 60_000 }, () => {
  it('is re-entrant within its call chain, before and after the storage was switched off', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-')), 'x.lock');
    expect(await promiseAsyncId()).toBe(0);
    for (const round of [1, 2]) {
      const inner = await withLock(file, {}, async () => {
        // Promise hooks carry the held set across this await.
        expect(await promiseAsyncId()).not.toBe(0);
        return withLock(file, { timeoutMs: 2_000 }, () => Promise.resolve(`nested ${round}`));
      });
      expect(inner).toBe(`nested ${round}`);
      expect(freeElsewhere(file)).toBe(true);
      // No locked action runs now: the promise hooks are off again.
      expect(await promiseAsyncId()).toBe(0);
    }
  });

  it('a chain that did not take the lock waits for it, while another action still holds it', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-')), 'x.lock');
    const order: string[] = [];
    let release!: () => void;
    const holding = withLock(file, {}, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first out');
    });
    await vi.waitFor(() => {
      expect(order).toEqual(['first in']);
    });
    // Started outside the first action's chain: not re-entrant, so it waits.
    const second = withLock(file, {}, () => Promise.resolve(order.push('second')));
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([holding, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(await promiseAsyncId()).toBe(0);
  });
});

describe('the lock helper', { timeout: 60_000 }, () => {
  it('ends once no lock was held for two seconds, and the next lock starts another', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-idle-'));
    const file = path.join(dir, 'x.lock');
    await (await acquireLock(file)).release();
    const helpers = () => children().filter((pid) => commandOf(pid) === 'sh');
    expect(helpers()).toHaveLength(1);
    await vi.waitFor(
      () => {
        expect(helpers()).toEqual([]);
      },
      { timeout: 20_000, interval: 200 },
    );
    const lock = await acquireLock(file);
    try {
      expect(helpers()).toHaveLength(1);
      expect(freeElsewhere(file)).toBe(false);
    } finally {
      await lock.release();
    }
  });

  it('drops its locks and marks them lost; later locks are taken the slow way and hold', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-helper-'));
    const first = path.join(dir, 'a.lock');
    const lock = await acquireLock(first);
    const helpers = children().filter((pid) => commandOf(pid) === 'sh');
    expect(helpers).toHaveLength(1);
    expect(freeElsewhere(first)).toBe(false);
    expect(lock.lost).toBe(false);

    process.kill(helpers[0] ?? 0, 'SIGKILL');
    await vi.waitFor(() => {
      expect(lock.lost).toBe(true);
    });
    expect(freeElsewhere(first)).toBe(true);
    await lock.release();

    const second = path.join(dir, 'b.lock');
    const again = await acquireLock(second);
    try {
      expect(freeElsewhere(second)).toBe(false);
      expect(again.lost).toBe(false);
    } finally {
      await again.release();
    }
    expect(freeElsewhere(second)).toBe(true);
  });
});
