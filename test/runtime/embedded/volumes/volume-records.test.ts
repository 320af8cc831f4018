/**
 * Named volumes as store records: create, list, locate and remove, the name rule Docker applies,
 * refusal while a container mounts the volume, and two creations of one name at once.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  containerVolumes,
  createVolume,
  listVolumes,
  removeVolume,
  volumeDataDir,
} from '../../../../src/runtime/embedded/volumes/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { cleanupDirs, freshStore } from '../store/helpers/fixtures.js';

afterAll(cleanupDirs);

function writeContainer(store: Store, id: string, config: unknown): void {
  mkdirSync(path.join(store.paths.containersDir, id), { recursive: true });
  writeFileSync(path.join(store.paths.containersDir, id, 'config.json'), JSON.stringify(config));
}

describe('createVolume and listVolumes', () => {
  it('creates an empty 0755 data folder and a record with the labels; lists volumes by name', async () => {
    const store = await freshStore({ now: () => Date.UTC(2026, 0, 2) });
    await createVolume({ store }, 'zeta-cache', { 'dev.devenv.env': 'zeta' });
    await createVolume({ store }, 'alpha_1.data', {});
    expect(await listVolumes({ store })).toEqual([
      { name: 'alpha_1.data', labels: {} },
      { name: 'zeta-cache', labels: { 'dev.devenv.env': 'zeta' } },
    ]);
    const data = await volumeDataDir({ store }, 'zeta-cache');
    expect(data).toBe(path.join(store.root, 'volumes', 'zeta-cache', '_data'));
    expect(statSync(data).mode & 0o7777).toBe(0o755);
    expect(readdirSync(data)).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(data, '..', 'volume.json'), 'utf8'))).toEqual({
      name: 'zeta-cache',
      labels: { 'dev.devenv.env': 'zeta' },
      created: '2026-01-02T00:00:00.000Z',
    });
    // Only whole volumes under their names; nothing left beside them.
    expect(readdirSync(store.paths.volumesDir)).toEqual(['alpha_1.data', 'zeta-cache']);
  });

  it('keeps an existing volume as it is, labels and contents included', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'cache', { owner: 'first' });
    writeFileSync(path.join(await volumeDataDir({ store }, 'cache'), 'kept'), 'x');
    await createVolume({ store }, 'cache', { owner: 'second' });
    expect(await listVolumes({ store })).toEqual([{ name: 'cache', labels: { owner: 'first' } }]);
    expect(readdirSync(await volumeDataDir({ store }, 'cache'))).toEqual(['kept']);
  });

  it('two creations of one name at once end with one volume', async () => {
    const store = await freshStore();
    await Promise.all(['a', 'b', 'c', 'd'].map((owner) => createVolume({ store }, 'shared', { owner })));
    const listed = await listVolumes({ store });
    expect(listed.map((v) => v.name)).toEqual(['shared']);
    expect(readdirSync(store.paths.volumesDir)).toEqual(['shared']);
  });

  it.each([[''], ['a'], ['-lead'], ['.hidden'], ['a/b'], ['..'], ['sp ace'], ['x'.repeat(256)]])(
    'refuses the name %j with Docker rule in the hint',
    async (name) => {
      const store = await freshStore();
      const refused = createVolume({ store }, name, {});
      await expect(refused).rejects.toMatchObject({
        code: 'DEVENV_CONFIG_INVALID',
        message: `invalid volume name ${JSON.stringify(name)}`,
        hint: expect.stringContaining('[a-zA-Z0-9][a-zA-Z0-9_.-]+') as unknown,
      });
      await expect(volumeDataDir({ store }, name)).rejects.toMatchObject({ code: 'DEVENV_CONFIG_INVALID' });
      expect(readdirSync(store.paths.volumesDir)).toEqual([]);
    },
  );

  it('a volume whose record is damaged is still listed, without labels', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'hurt', { a: 'b' });
    writeFileSync(path.join(store.paths.volumesDir, 'hurt', 'volume.json'), '{not json');
    expect(await listVolumes({ store })).toEqual([{ name: 'hurt', labels: {} }]);
  });
});

describe('volumeDataDir', () => {
  it('is DEVENV_NOT_FOUND for a missing volume and creates nothing', async () => {
    const store = await freshStore();
    await expect(volumeDataDir({ store }, 'nope')).rejects.toMatchObject({
      code: 'DEVENV_NOT_FOUND',
      message: 'volume nope does not exist',
    });
    expect(readdirSync(store.paths.volumesDir)).toEqual([]);
  });
});

describe('removeVolume', () => {
  it('removes the volume and its contents, leaving nothing beside the others', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'gone', {});
    await createVolume({ store }, 'stays', {});
    const data = await volumeDataDir({ store }, 'gone');
    mkdirSync(path.join(data, 'deep', 'er'), { recursive: true });
    writeFileSync(path.join(data, 'deep', 'er', 'f'), 'x');
    await removeVolume({ store }, 'gone', []);
    expect(readdirSync(store.paths.volumesDir)).toEqual(['stays']);
    expect(await listVolumes({ store })).toEqual([{ name: 'stays', labels: {} }]);
  });

  it('refuses a volume containers mount, naming them, and keeps it', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'busy', {});
    writeFileSync(path.join(await volumeDataDir({ store }, 'busy'), 'f'), 'x');
    await expect(removeVolume({ store }, 'busy', ['web', 'worker'])).rejects.toMatchObject({
      code: 'DEVENV_BUSY',
      message: 'volume busy is in use by containers web, worker',
      hint: expect.stringContaining('Remove the container first') as unknown,
    });
    expect(existsSync(path.join(await volumeDataDir({ store }, 'busy'), 'f'))).toBe(true);
  });

  it('is DEVENV_NOT_FOUND for a missing volume', async () => {
    const store = await freshStore();
    await expect(removeVolume({ store }, 'ghost', [])).rejects.toMatchObject({ code: 'DEVENV_NOT_FOUND' });
  });
});

describe('containerVolumes', () => {
  it('reads the volumes field of each config.json, loosely, and flags an unreadable one', async () => {
    const store = await freshStore();
    writeContainer(store, 'a', { imageId: `sha256:${'a'.repeat(64)}`, volumes: ['cache', 'home'], extra: 1 });
    writeContainer(store, 'b', { image: 'alpine:3' });
    mkdirSync(path.join(store.paths.containersDir, 'c'), { recursive: true });
    writeFileSync(path.join(store.paths.containersDir, 'c', 'config.json'), '[1');
    mkdirSync(path.join(store.paths.containersDir, 'creating'), { recursive: true });
    const uses = await containerVolumes(store.ctx);
    expect(uses.map(({ container, volumes, corrupt }) => ({ container, volumes, corrupt }))).toEqual([
      { container: 'a', volumes: ['cache', 'home'], corrupt: undefined },
      { container: 'b', volumes: [], corrupt: undefined },
      { container: 'c', volumes: [], corrupt: expect.stringContaining('not JSON') as unknown },
    ]);
  });
});
