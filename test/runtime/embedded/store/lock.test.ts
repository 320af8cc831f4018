/**
 * The store lock with real processes (docs/reliability.md, rule 6, K1, K6): ten children taking
 * it repeatedly never overlap, ten children tagging at once keep every tag, and a SIGKILLed holder
 * releases it at once (the kernel drops the flock when its helper sees our pipe close).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../../src/runtime/embedded/store/index.js';
import { runChild, startChild } from './helpers/child-runner.js';
import { cleanupDirs, freshStore, makeLayer, sha256, storeImage, tempDir } from './helpers/fixtures.js';

afterAll(cleanupDirs);

// Each test starts Node child processes, which take seconds apiece on a loaded 2-core machine.
describe('store lock across processes', { timeout: 180_000 }, () => {
  it('ten children taking the lock five times each: never two holders at once', async () => {
    const store = await freshStore();
    const children = Array.from({ length: 10 }, () => startChild(['lock-loop', store.root, '5']).done);
    const results = await Promise.all(children);
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({ violations: 0 });
    }
  });

  it('the O_EXCL marker would catch overlap: without the lock, two holders are seen', async () => {
    // Guards the test above against passing vacuously: the same marker check without a lock fails.
    const dir = tempDir();
    const { open, rm } = await import('node:fs/promises');
    let violations = 0;
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const handle = await open(`${dir}/holder`, 'wx').catch(() => undefined);
        if (handle === undefined) violations++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        await handle?.close();
        if (handle !== undefined) await rm(`${dir}/holder`);
      }),
    );
    expect(violations).toBeGreaterThan(0);
  });

  it('ten children tagging at once keep all ten tags (no lost update of refs.json)', async () => {
    const store = await freshStore();
    const { id } = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => runChild(['tag', store.root, `team/tool:v${i}`, id])),
    );
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    expect(Object.keys(await store.refs.all())).toHaveLength(10);
  });

  it('four processes ingesting one blob at once read its source once (K4)', async () => {
    const store = await freshStore();
    const dir = tempDir();
    const data = Buffer.alloc(256 * 1024, 9);
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(`${dir}/blob`, data);
    const log = `${dir}/opened.log`;
    const digest = sha256(data);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runChild(['ingest', store.root, `${dir}/blob`, digest, log])),
    );
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(
      results.map((r) => (JSON.parse(r.stdout) as { existed: boolean }).existed).filter((e) => !e),
    ).toHaveLength(1);
    expect(await store.blobs.verify(digest)).toBe(true);
  });

  it('a SIGKILLed holder does not block the next acquirer', async () => {
    const store = await freshStore();
    const holder = startChild(['lock-die', store.root]);
    let held = false;
    holder.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('HOLD')) held = true;
    });
    const died = await holder.done;
    expect(held, died.stderr).toBe(true);
    expect(died.signal).toBe('SIGKILL');
    // A lock left behind by the dead holder would never be granted: the waiter would give up with
    // DEVENV_BUSY after its (generous) timeout. No wall-clock bound, which a busy machine can break.
    const waiter = await runChild(['lock-wait', store.root, '60000']);
    expect(waiter.exitCode, waiter.stderr).toBe(0);
  });

  it('a waiter gives up after its timeout with DEVENV_BUSY naming the holder', async () => {
    const dir = tempDir();
    const lock = await acquireLock(`${dir}/x.lock`, { purpose: 'holding for the test' });
    try {
      await expect(acquireLock(`${dir}/x.lock`, { timeoutMs: 300 })).rejects.toMatchObject({
        code: 'DEVENV_BUSY',
        message: expect.stringMatching(
          new RegExp(`pid ${process.pid} \\(holding for the test\\)`),
        ) as unknown,
      });
    } finally {
      await lock.release();
    }
    const again = await acquireLock(`${dir}/x.lock`, { timeoutMs: 2000 });
    expect(again.lost).toBe(false);
    await again.release();
  });
});
