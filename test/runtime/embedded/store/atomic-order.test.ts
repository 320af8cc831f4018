/**
 * Power-loss ordering (docs/reliability.md, C9): every rename to a final name is preceded by an
 * fsync of the file and followed by an fsync of its directory. node:fs/promises and its stand-in
 * src/util/fs-async.ts are wrapped to record the calls in order; the blob commit, a metadata write (refs.json) and a layer commit are checked.
 */
import type * as FsPromises from 'node:fs/promises';
import type * as FsAsync from '../../../../src/util/fs-async.js';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const { calls, recording } = vi.hoisted(() => {
  const calls: string[] = [];
  /** `open` and `rename` of a module like node:fs/promises, recording each fsync and rename. */
  const recording = <T extends Pick<typeof FsPromises, 'open' | 'rename'>>(real: T) => {
    const open: T['open'] = async (...args) => {
      const handle = await real.open(...args);
      const file = String(args[0]);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        calls.push(`fsync ${file}`);
      };
      return handle;
    };
    const rename: T['rename'] = async (from, to) => {
      await real.rename(from, to);
      calls.push(`rename ${String(from)} -> ${String(to)}`);
    };
    return { open, rename };
  };
  return { calls, recording };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const wrapped = recording(real);
  return { ...real, default: { ...real, ...wrapped }, ...wrapped };
});
// The store's hot-path modules (atomic writes among them) use the promise forms of src/util/fs-async.ts.
vi.mock('../../../../src/util/fs-async.js', async (importOriginal) => {
  const real = await importOriginal<typeof FsAsync>();
  return { ...real, ...recording(real) };
});

const { cleanupDirs, freshStore, makeLayer, sha256, storeImage, streamOf } =
  await import('./helpers/fixtures.js');

afterAll(cleanupDirs);
beforeEach(() => {
  calls.length = 0;
});

/** Asserts fsync(source) → rename(source → final) → fsync(dir of final), in that order. */
function expectDurableRename(final: string, source: RegExp): void {
  const renameAt = calls.findIndex((c) => c.startsWith('rename ') && c.endsWith(` -> ${final}`));
  expect(renameAt, `no rename to ${final} in:\n${calls.join('\n')}`).toBeGreaterThan(-1);
  const from = /^rename (.*) -> /.exec(calls[renameAt] ?? '')?.[1] ?? '';
  expect(from).toMatch(source);
  const fileSync = calls.findIndex((c) => c === `fsync ${from}`);
  expect(fileSync, `no fsync of ${from} before its rename:\n${calls.join('\n')}`).toBeGreaterThan(-1);
  expect(fileSync).toBeLessThan(renameAt);
  const dirSync = calls.findIndex((c, i) => i > renameAt && c === `fsync ${path.dirname(final)}`);
  expect(
    dirSync,
    `no fsync of ${path.dirname(final)} after the rename:\n${calls.join('\n')}`,
  ).toBeGreaterThan(renameAt);
}

describe('fsync(file) → rename → fsync(dir)', () => {
  it('for a blob commit', async () => {
    const store = await freshStore();
    const data = Buffer.from('durable');
    await store.blobs.ingest({ digest: sha256(data) }, () => streamOf(data));
    expectDurableRename(store.blobs.path(sha256(data)), /\/ingest\/[a-f0-9]{64}\/data$/);
  });

  it('for a metadata write (refs.json and the image record)', async () => {
    const store = await freshStore();
    const { id } = await storeImage(store, [await makeLayer({ 'a.txt': 'a' })], { tag: 'x' });
    expectDurableRename(store.paths.refsFile, /\/\.refs\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
    expectDurableRename(store.paths.image(id), /\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
  });

  it('for a layer commit: its layer.json is durable before the directory is renamed into place', async () => {
    const store = await freshStore();
    const layer = await makeLayer({ 'a.txt': 'a' });
    await storeImage(store, [layer]);
    const final = store.paths.layer(layer.diffId);
    const renameAt = calls.findIndex((c) => c.endsWith(` -> ${final}`));
    const temp = /^rename (.*) -> /.exec(calls[renameAt] ?? '')?.[1] ?? '';
    expect(temp).toMatch(/\/layers\/incomplete-[0-9a-f]{16}$/);
    const metadataSync = calls.findIndex((c) => c === `fsync ${temp}`);
    expect(metadataSync).toBeGreaterThan(-1);
    expect(metadataSync).toBeLessThan(renameAt);
    expect(calls.findIndex((c, i) => i > renameAt && c === `fsync ${store.paths.layersDir}`)).toBeGreaterThan(
      renameAt,
    );
  });
});
