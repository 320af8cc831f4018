/**
 * Volumes as part of the store: `doctor` finds what interrupted creations, removals and imports left
 * and `--repair` clears it; a broken volume is made whole without losing its data; a container
 * mounting a missing volume is reported for the user; prune never touches volumes; `storage move`
 * carries them with their owners and modes.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkStore,
  moveStorage,
  openStore,
  pruneStore,
  repairStore,
} from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { createVolume, listVolumes, volumeDataDir } from '../../../../src/runtime/embedded/volumes/index.js';
import { isRoot } from '../../../helpers/requirements.js';
import { cleanupDirs, freshStore, tempDir } from '../store/helpers/fixtures.js';
import { tarUnpacker } from '../store/helpers/tar-unpacker.js';

afterAll(cleanupDirs);

/** A pid that no longer exists. */
const deadPid = 2 ** 22 - 7;
const deadOwner = JSON.stringify({ pid: deadPid, startTime: '1', createdAt: 0 });

async function withVolume(): Promise<{ store: Store; data: string }> {
  const store = await freshStore();
  await createVolume({ store }, 'home', { 'dev.devenv.env': 'demo' });
  const data = await volumeDataDir({ store }, 'home');
  writeFileSync(path.join(data, 'notes'), 'precious');
  return { store, data };
}

/** What interrupted volume operations leave, as the code names them. */
function plantLeftovers(store: Store): string[] {
  const creating = path.join(store.paths.volumesDir, `.creating-${deadPid}-0123abcd`);
  mkdirSync(path.join(creating, '_data'), { recursive: true });
  const removing = path.join(store.paths.volumesDir, '.removing-89abcdef01234567');
  mkdirSync(path.join(removing, '_data', 'deep'), { recursive: true });
  writeFileSync(path.join(removing, '_data', 'deep', 'f'), 'x');
  const importing = path.join(store.paths.tmpDir, 'volume-import-Ab12Cd');
  mkdirSync(path.join(importing, '_data'), { recursive: true });
  writeFileSync(path.join(importing, 'owner.json'), deadOwner);
  const temp = path.join(store.paths.volumesDir, 'home', `.volume.json.${deadPid}.0badc0de.tmp`);
  writeFileSync(temp, '{"name":');
  return [creating, removing, importing, temp];
}

describe('doctor and repair', () => {
  it('calls a store with volumes clean', async () => {
    const { store } = await withVolume();
    expect(await checkStore(store.root)).toEqual({ root: store.root, issues: [], clean: true });
  });

  it('reports leftovers of interrupted creations, removals and imports; repair clears them', async () => {
    const { store } = await withVolume();
    const leftovers = plantLeftovers(store);
    const report = await checkStore(store.root);
    expect(report.issues.map((issue) => [issue.kind, issue.path]).sort()).toEqual(
      leftovers.map((file) => ['leftover', file]).sort(),
    );
    const repaired = await repairStore(store.root);
    expect(repaired.clean).toBe(true);
    for (const file of leftovers) expect(existsSync(file)).toBe(false);
    expect(await listVolumes({ store })).toEqual([{ name: 'home', labels: { 'dev.devenv.env': 'demo' } }]);
    expect(readFileSync(path.join(await volumeDataDir({ store }, 'home'), 'notes'), 'utf8')).toBe('precious');
  });

  it('a creation in flight (its process alive) is no leftover', async () => {
    const { store } = await withVolume();
    mkdirSync(path.join(store.paths.volumesDir, `.creating-${process.pid}-0123abcd`));
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it('opening the store finishes what dead processes left', async () => {
    const { store } = await withVolume();
    const leftovers = plantLeftovers(store);
    await openStore({ root: store.root, unpack: tarUnpacker });
    for (const file of leftovers) expect(existsSync(file)).toBe(false);
    expect((await checkStore(store.root)).clean).toBe(true);
  });

  it('a volume that lost its data folder (an import killed mid-swap) gets an empty one back', async () => {
    const { store } = await withVolume();
    await createVolume({ store }, 'fresh', {});
    rmdirSync(await volumeDataDir({ store }, 'fresh'));
    await expect(volumeDataDir({ store }, 'fresh')).rejects.toMatchObject({
      code: 'DEVENV_STORE',
      hint: expect.stringContaining('devenv doctor --repair') as unknown,
    });
    expect((await checkStore(store.root)).issues).toMatchObject([
      { kind: 'broken-volume', subject: 'fresh', message: 'volume fresh: its _data folder is missing' },
    ]);
    const repaired = await repairStore(store.root);
    expect(repaired.clean).toBe(true);
    expect(repaired.actions).toEqual(['repaired volume fresh: made an empty _data folder']);
    const data = await volumeDataDir({ store }, 'fresh');
    expect(readdirSync(data)).toEqual([]);
    expect(lstatSync(data).mode & 0o7777).toBe(0o755);
  });

  it('a corrupt volume record is quarantined and rewritten; the data stays', async () => {
    const { store } = await withVolume();
    const record = path.join(store.paths.volumesDir, 'home', 'volume.json');
    writeFileSync(record, '{"name": 1');
    expect((await checkStore(store.root)).issues).toMatchObject([
      { kind: 'broken-volume', message: expect.stringContaining('volume.json is corrupt') as unknown },
    ]);
    const repaired = await repairStore(store.root);
    expect(repaired.clean).toBe(true);
    expect(repaired.actions[0]).toMatch(
      /^repaired volume home: kept its old record as .*quarantine.*, wrote a new record/,
    );
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ name: 'home', labels: {} });
    expect(readFileSync(path.join(await volumeDataDir({ store }, 'home'), 'notes'), 'utf8')).toBe('precious');
  });

  it('reports a container mounting a missing volume and leaves it to the user; an unused volume is fine', async () => {
    const { store } = await withVolume();
    const dir = path.join(store.paths.containersDir, 'web');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ volumes: ['home', 'gone-cache'] }));
    const report = await checkStore(store.root);
    expect(report.issues).toEqual([
      {
        kind: 'container',
        path: path.join(dir, 'config.json'),
        subject: 'gone-cache',
        message: 'container web mounts volume gone-cache, which is missing',
      },
    ]);
    expect((await repairStore(store.root)).remaining).toEqual(report.issues);
  });
});

describe('prune and move', () => {
  it('prune never touches volumes, used or not', async () => {
    const { store } = await withVolume();
    await createVolume({ store }, 'unused', {});
    await pruneStore(store);
    expect((await listVolumes({ store })).map((v) => v.name)).toEqual(['home', 'unused']);
    expect(readFileSync(path.join(await volumeDataDir({ store }, 'home'), 'notes'), 'utf8')).toBe('precious');
  });

  it('storage move carries volumes with their contents, owners and modes', { timeout: 180_000 }, async () => {
    const { store, data } = await withVolume();
    mkdirSync(path.join(data, 'sticky'));
    chmodSync(path.join(data, 'sticky'), 0o1777);
    if (isRoot) chownSync(path.join(data, 'notes'), 1000, 1000);
    const to = path.join(tempDir(), 'ssd', 'devenv');
    await moveStorage({ from: store.root, to, switchTo: () => Promise.resolve() });
    const moved = await openStore({ root: to, unpack: tarUnpacker });
    expect(await listVolumes({ store: moved })).toEqual([
      { name: 'home', labels: { 'dev.devenv.env': 'demo' } },
    ]);
    const movedData = await volumeDataDir({ store: moved }, 'home');
    expect(readFileSync(path.join(movedData, 'notes'), 'utf8')).toBe('precious');
    expect(lstatSync(path.join(movedData, 'sticky')).mode & 0o7777).toBe(0o1777);
    if (isRoot) expect(lstatSync(path.join(movedData, 'notes')).uid).toBe(1000);
    expect((await checkStore(to)).clean).toBe(true);
  });
});
