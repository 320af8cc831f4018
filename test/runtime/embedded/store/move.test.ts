/**
 * `storage move` (the seed's "move Docker's storage to the SSD"): copy, verify, switch, then remove
 * the old store; refused while containers run or onto a non-empty target; a crash at any step leaves
 * one complete store that the settings point at, and a rerun finishes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStore, moveStorage, openStore } from '../../../../src/runtime/embedded/store/index.js';
import { treeListing } from '../../../../src/runtime/embedded/store/tree-listing.js';
import { runChild } from './helpers/child-runner.js';
import { cleanupDirs, freshStore, makeLayer, storeImage, tempDir } from './helpers/fixtures.js';
import { tarUnpacker } from './helpers/tar-unpacker.js';

afterAll(cleanupDirs);

async function populated() {
  const store = await freshStore();
  const image = await storeImage(store, [await makeLayer({ 'bin/tool': '#!/bin/sh\n', 'etc/conf': 'x\n' })], {
    tag: 'tool:1',
  });
  return { store, image, listing: await treeListing(store.root, new Set(['locks'])) };
}

// Each test starts Node child processes, which take seconds apiece on a loaded 2-core machine.
describe('moveStorage', { timeout: 180_000 }, () => {
  it('copies everything, verifies, switches, and only then removes the old store', async () => {
    const { store, image, listing } = await populated();
    const to = path.join(tempDir(), 'ssd', 'devenv');
    let switched: string | undefined;
    const result = await moveStorage({
      from: store.root,
      to,
      switchTo: async (root) => {
        // At the switch the new store is complete and the old one untouched.
        expect(existsSync(store.paths.refsFile)).toBe(true);
        expect((await checkStore(root)).clean).toBe(true);
        switched = root;
      },
    });
    expect(switched).toBe(to);
    expect(result.root).toBe(to);
    expect(result.bytes).toBeGreaterThan(0);
    expect(existsSync(store.root)).toBe(false);
    expect(await treeListing(to, new Set(['locks']))).toEqual(listing);
    const moved = await openStore({ root: to, unpack: tarUnpacker });
    expect(await moved.refs.resolve('tool:1')).toBe(image.id);
    expect((await checkStore(to)).clean).toBe(true);
  });

  it('refuses while a container runs, copying nothing', async () => {
    const { store } = await populated();
    mkdirSync(path.join(store.paths.containersDir, 'dev'), { recursive: true });
    writeFileSync(
      path.join(store.paths.containersDir, 'dev', 'state.json'),
      JSON.stringify({ status: 'running' }),
    );
    const to = path.join(tempDir(), 'target');
    await expect(
      moveStorage({ from: store.root, to, switchTo: () => Promise.resolve() }),
    ).rejects.toMatchObject({
      code: 'DEVENV_BUSY',
      message: 'cannot move the store while containers run: dev',
    });
    expect(existsSync(to)).toBe(false);
  });

  it('refuses while another operation holds a lease, naming it; moves once it is released', async () => {
    const { store } = await populated();
    const lease = await store.createLease('pulling busybox');
    const to = path.join(tempDir(), 'target');
    await expect(
      moveStorage({ from: store.root, to, switchTo: () => Promise.resolve() }),
    ).rejects.toMatchObject({
      code: 'DEVENV_BUSY',
      message: `cannot move the store while it is in use by pid ${process.pid} (pulling busybox)`,
    });
    expect(existsSync(to)).toBe(false);
    await lease.release();
    await moveStorage({ from: store.root, to, switchTo: () => Promise.resolve() });
    expect(existsSync(path.join(to, 'refs.json'))).toBe(true);
  });

  it('refuses a non-empty target and leaves it alone; accepts an empty one', async () => {
    const { store } = await populated();
    const busy = tempDir();
    writeFileSync(path.join(busy, 'precious'), 'keep me');
    await expect(
      moveStorage({ from: store.root, to: busy, switchTo: () => Promise.resolve() }),
    ).rejects.toMatchObject({
      code: 'DEVENV_FILE_EXISTS',
    });
    expect(readFileSync(path.join(busy, 'precious'), 'utf8')).toBe('keep me');
    const empty = tempDir();
    await moveStorage({ from: store.root, to: empty, switchTo: () => Promise.resolve() });
    expect((await checkStore(empty)).clean).toBe(true);
  });

  it('when the switch fails, the old store stays in use and the copy is removed', async () => {
    const { store, listing } = await populated();
    const to = path.join(tempDir(), 'target');
    await expect(
      moveStorage({
        from: store.root,
        to,
        switchTo: () => Promise.reject(new Error('settings are read-only')),
      }),
    ).rejects.toThrow('settings are read-only');
    expect(existsSync(to)).toBe(false);
    expect(await treeListing(store.root, new Set(['locks']))).toEqual(listing);
  });

  it.each([
    ['store.move.after-copy', 'old'],
    ['store.move.after-switch', 'new'],
    ['store.move.mid-remove', 'new'],
  ] as const)(
    'killed at %s: the store the settings name is complete and usable; a rerun finishes an interrupted copy',
    async (failpoint, inUse) => {
      const { store, image } = await populated();
      const to = path.join(tempDir(), 'target');
      const settings = path.join(tempDir(), 'settings');
      const killed = await runChild(['move', store.root, to, settings], { failpoints: `${failpoint}:kill` });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const current = existsSync(settings) ? readFileSync(settings, 'utf8') : store.root;
      expect(current).toBe(inUse === 'old' ? store.root : to);
      expect((await checkStore(current)).clean).toBe(true);
      expect(await (await openStore({ root: current })).refs.resolve('tool:1')).toBe(image.id);
      if (inUse === 'old') {
        const rerun = await runChild(['move', store.root, to, settings]);
        expect(rerun.exitCode, rerun.stderr).toBe(0);
        expect(readFileSync(settings, 'utf8')).toBe(to);
        expect((await checkStore(to)).clean).toBe(true);
        expect(existsSync(store.root)).toBe(false);
      } else if (failpoint === 'store.move.mid-remove') {
        await expect(openStore({ root: store.root })).rejects.toThrow(`was moved to ${to}`);
      }
    },
  );
});
