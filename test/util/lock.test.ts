/**
 * Many locks in one process: each is really held against other processes (checked with a separate
 * `flock -n`), no helper process stays behind per lock, and a child started while a lock is held
 * does not keep it after the release.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, withLock } from '../../src/util/lock.js';

/** Whether another process could take `file` right now (`flock -n` exits 1 when it is held). */
function freeElsewhere(file: string): boolean {
  const result = spawnSync('flock', ['--nonblock', '--exclusive', file, 'true']);
  return result.status === 0;
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
  it('twenty locks at once: all held elsewhere, no helper process left running, all free after release', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-many-'));
    const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `${i}.lock`));
    const before = children();
    const locks = await Promise.all(files.map((file) => acquireLock(file)));
    try {
      expect(children().filter((pid) => !before.includes(pid))).toEqual([]);
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
});
