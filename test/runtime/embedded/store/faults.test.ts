/**
 * Crash tests (docs/reliability.md, C1, C3, C4, C7, rule 12): a child process is SIGKILLed at each
 * named failpoint of ingest, layer commit, image record, tag write, removal, prune, import and export.
 * Afterwards nothing under a final name is half-written (the checker may find only leftovers, never
 * corrupt or broken objects), repair makes the store clean, and a rerun finishes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStore, openStore, repairStore } from '../../../../src/runtime/embedded/store/index.js';
import type { IssueKind } from '../../../../src/runtime/embedded/store/index.js';
import { legacyParts } from '../archive/helpers/archives.js';
import { runChild } from './helpers/child-runner.js';
import {
  cleanupDirs,
  freshStore,
  makeConfig,
  makeLayer,
  makeTar,
  storeImage,
  tempDir,
} from './helpers/fixtures.js';
import { tarUnpacker } from './helpers/tar-unpacker.js';

afterAll(cleanupDirs);

/** Leftovers are what a crash may leave; anything else would be a half-written final object. */
const CRASH_SAFE: ReadonlySet<IssueKind> = new Set(['leftover']);

async function expectRecoverable(root: string): Promise<void> {
  const report = await checkStore(root);
  for (const issue of report.issues) expect(CRASH_SAFE.has(issue.kind), issue.message).toBe(true);
  const repaired = await repairStore(root);
  expect(repaired.remaining).toEqual([]);
}

async function imageSpec(dir: string) {
  const base = await makeLayer({ 'etc/base': 'base\n'.repeat(5000) });
  const top = await makeLayer({ 'etc/top': 'top\n'.repeat(5000) }, false);
  const layers = [base, top].map((layer, i) => {
    const file = path.join(dir, `layer${i}`);
    writeFileSync(file, layer.blob);
    return {
      file,
      digest: layer.digest,
      diffId: layer.diffId,
      mediaType: layer.mediaType,
      size: layer.blob.length,
    };
  });
  const config = path.join(dir, 'config.json');
  writeFileSync(config, makeConfig([base.diffId, top.diffId], 'crash'));
  const spec = path.join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ layers, config, tag: 'crash:1' }));
  return spec;
}

// Each test starts Node child processes, which take seconds apiece on a loaded 2-core machine.
describe('kill -9 at each failpoint, then doctor, then rerun', { timeout: 180_000 }, () => {
  it.each([
    'store.blob.mid-write',
    'store.blob.after-fsync',
    'store.blob.after-rename',
    'store.layer.after-unpack',
    'store.layer.before-commit',
    'store.layer.after-commit',
    'store.image.before-write',
    'store.tag.write',
  ])('storing an image, killed at %s', async (failpoint) => {
    const store = await freshStore();
    const spec = await imageSpec(tempDir());
    const killed = await runChild(['image', store.root, spec], { failpoints: `${failpoint}:kill` });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await store.refs.resolve('crash:1')).toBeUndefined();
    await expectRecoverable(store.root);
    const rerun = await runChild(['image', store.root, spec]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await store.refs.resolve('crash:1')).toBe((JSON.parse(rerun.stdout) as { id: string }).id);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it.each([
    ['remove-layer', 'store.layer.mid-remove'],
    ['prune', 'store.prune.mid-sweep'],
  ])('%s, killed at %s', async (command, failpoint) => {
    const store = await freshStore();
    const kept = await storeImage(store, [await makeLayer({ 'kept.txt': 'k' })], {
      tag: 'kept:1',
      comment: 'kept',
    });
    const doomed = await storeImage(store, [await makeLayer({ 'doomed.txt': 'd' })], { comment: 'doomed' });
    await store.images.remove(doomed.id);
    const args =
      command === 'prune' ? ['prune', store.root] : ['remove-layer', store.root, doomed.chainIds[0] ?? ''];
    const killed = await runChild(args, { failpoints: `${failpoint}:kill` });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    await expectRecoverable(store.root);
    const rerun = await runChild(['prune', store.root]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await store.images.list()).toEqual([kept.id]);
    expect(await store.layers.list()).toEqual(kept.chainIds);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it.each([
    'archive.import.mid-extract',
    'store.blob.after-rename',
    'store.layer.before-commit',
    'archive.import.before-tag',
  ])('loading an archive, killed at %s: no tag until the rerun (C3)', async (failpoint) => {
    const store = await freshStore();
    const layers = [
      await makeLayer({ 'a.txt': 'a'.repeat(10000) }, false),
      await makeLayer({ 'b.txt': 'b' }, true),
    ];
    const archive = path.join(tempDir(), 'image.tar');
    writeFileSync(archive, await makeTar(legacyParts([{ layers, tags: ['loaded:1'] }]).entries));
    const killed = await runChild(['import', store.root, archive], { failpoints: `${failpoint}:kill` });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await store.refs.all()).toEqual({});
    await expectRecoverable(store.root);
    const rerun = await runChild(['import', store.root, archive]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(Object.keys(await store.refs.all())).toEqual(['docker.io/library/loaded:1']);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it('saving an archive, killed mid-write: the final name never appears half-written (C4)', async () => {
    const store = await freshStore();
    await storeImage(store, [await makeLayer({ 'a.txt': 'a' }), await makeLayer({ 'b.txt': 'b' })], {
      tag: 'saved:1',
    });
    const file = path.join(tempDir(), 'saved.tar');
    const killed = await runChild(['export', store.root, file, 'saved:1'], {
      failpoints: 'archive.export.mid-write:kill',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(true);
    const rerun = await runChild(['export', store.root, file, 'saved:1']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(existsSync(`${file}.partial`)).toBe(false);
    const other = await openStore({ root: path.join(tempDir(), 'other'), unpack: tarUnpacker });
    const { importArchive } = await import('../../../../src/runtime/embedded/archive/index.js');
    const { createReadStream } = await import('node:fs');
    expect((await importArchive(other, createReadStream(file))).loaded).toEqual(['saved:1']);
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });
});
