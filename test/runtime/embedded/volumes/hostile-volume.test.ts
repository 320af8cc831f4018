/**
 * Hostile volume tars (docs/reliability.md, T1-T13): an import is defended exactly as an image layer
 * is. A refused tar leaves the volume empty and no scratch behind; a contained one writes only inside
 * the volume. Either way the victim beside the store and the host's canaries stay byte-identical.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { beforeEach, afterAll, describe, expect, it } from 'vitest';
import type { LayerLimits } from '../../../../src/image/layer/layer-limits.js';
import { checkStore } from '../../../../src/runtime/embedded/store/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { createVolume, importVolume, volumeDataDir } from '../../../../src/runtime/embedded/volumes/index.js';
import { skipUnless } from '../../../helpers/requirements.js';
import { plantVictim } from '../layers/helpers/breakout.js';
import { isRoot, makeTar } from '../layers/helpers/fixtures.js';
import type { FixtureEntry } from '../layers/helpers/fixtures.js';
import { cleanupDirs, freshStore } from '../store/helpers/fixtures.js';

afterAll(cleanupDirs);

const noRoot = skipUnless('hostile volume links (chown of extracted entries)', { root: isRoot });

let store: Store;
let victim: Awaited<ReturnType<typeof plantVictim>>;
let notices: string[];
beforeEach(async () => {
  store = await freshStore();
  victim = await plantVictim(path.dirname(store.root));
  notices = [];
  await createVolume({ store }, 'target', {});
});

const importTar = async (data: Buffer, limits?: Partial<LayerLimits>) =>
  importVolume(
    { store, limits, onNotice: (rel, message) => notices.push(`${rel}: ${message}`) },
    'target',
    Readable.from([data]),
  );
const data = () => volumeDataDir({ store }, 'target');

async function expectRefused(data: Buffer, code: string, message: RegExp, limits?: Partial<LayerLimits>) {
  await expect(importTar(data, limits)).rejects.toMatchObject({ code, message });
  expect(await readdir(await volumeDataDir({ store }, 'target'))).toEqual([]);
  expect(await readdir(store.paths.tmpDir)).toEqual([]);
  await victim.check();
  expect((await checkStore(store.root)).issues).toEqual([]);
}

async function expectContained(entries: FixtureEntry[]): Promise<string> {
  await importTar(await makeTar(entries));
  const dir = await data();
  await victim.check(dir);
  expect(await readdir(store.paths.tmpDir)).toEqual([]);
  return dir;
}

describe('T1 names that leave the volume', () => {
  it.each([['../../victim/x'], ['../x'], ['a/../../x'], ['a/b/../../../victim/hello']])(
    '%s is refused',
    async (name) => {
      await expectRefused(
        await makeTar([{ name, content: 'pwned' }]),
        'DEVENV_ARCHIVE_INVALID',
        /leaves the layer/,
      );
    },
  );

  it('a NUL byte in a name is refused', async () => {
    await expectRefused(
      await makeTar([{ name: 'a\0b', content: 'x', pax: {} }]),
      'DEVENV_ARCHIVE_INVALID',
      /NUL/,
    );
  });

  it('/abs/x and ////y are stripped and land inside', async () => {
    const dir = await expectContained([
      { name: '/abs/x', content: '1' },
      { name: '////y', content: '2' },
    ]);
    expect(await readFile(path.join(dir, 'abs/x'), 'utf8')).toBe('1');
    expect(await readFile(path.join(dir, 'y'), 'utf8')).toBe('2');
  });
});

describe.skipIf(noRoot)('T2-T8 links (root: chown)', () => {
  it('T2 symlink-then-write-through lands inside the volume', async () => {
    const dir = await expectContained([
      { name: 'localetc', type: 'symlink', linkname: '/etc' },
      { name: 'localetc/devenv-volume-canary', content: 'x' },
      { name: 'esc', type: 'symlink', linkname: victim.victim },
      { name: 'esc/hello', content: 'overwritten?' },
    ]);
    expect(await readFile(path.join(dir, 'etc/devenv-volume-canary'), 'utf8')).toBe('x');
    expect(await lstat('/etc/devenv-volume-canary').catch(() => undefined)).toBeUndefined();
    expect(await readFile(path.join(dir, victim.victim, 'hello'), 'utf8')).toBe('overwritten?');
  });

  it('T3 absolute symlinks are kept verbatim', async () => {
    const dir = await expectContained([{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]);
    expect(await readlink(path.join(dir, 'passwd'))).toBe('/etc/passwd');
  });

  it.each([['/etc/shadow'], ['../victim/hello'], ['../../../../victim/hello'], ['/../a']])(
    'T4 a hardlink to %s is refused',
    async (linkname) => {
      await expectRefused(
        await makeTar([
          { name: 'a', content: 'a' },
          { name: 'h', type: 'link', linkname },
        ]),
        'DEVENV_ARCHIVE_INVALID',
        /outside the layer/,
      );
    },
  );

  it('T5 writes and hardlinks through d1 -> ../../../../etc stay inside', async () => {
    const dir = await expectContained([
      { name: 'd1', type: 'symlink', linkname: '../../../../etc' },
      { name: 'd1/passwd', content: 'pwned', mode: 0o777 },
      { name: 'd1/hl', type: 'link', linkname: 'd1/passwd' },
    ]);
    expect(await readFile(path.join(dir, 'etc/passwd'), 'utf8')).toBe('pwned');
    expect((await lstat(path.join(dir, 'etc/hl'))).nlink).toBe(2);
  });

  it('T6 a directory replaced by a symlink is not written through', async () => {
    const dir = await expectContained([
      { name: 'a/', type: 'directory' },
      { name: 'a', type: 'symlink', linkname: victim.victim },
      { name: 'a/f', content: 'x' },
      { name: 'b', type: 'symlink', linkname: '/tmp' },
      { name: 'b', content: 'replaced the link' },
    ]);
    expect(await readFile(path.join(dir, victim.victim, 'f'), 'utf8')).toBe('x');
    expect((await lstat(path.join(dir, 'b'))).isFile()).toBe(true);
  });

  it('T8 nested symlinks climbing out are clamped at the volume root', async () => {
    const dir = await expectContained([
      { name: 'inner/', type: 'directory' },
      { name: 'inner/go_up', type: 'symlink', linkname: '..' },
      { name: 'inner/go_up/escape', type: 'symlink', linkname: '../../../../victim' },
      { name: 'inner/go_up/escape/newfile', content: 'x' },
    ]);
    expect(await readFile(path.join(dir, 'victim/newfile'), 'utf8')).toBe('x');
  });

  it('T8 a symlink loop in a parent is refused', async () => {
    await expectRefused(
      await makeTar([
        { name: 'loop1', type: 'symlink', linkname: 'loop2' },
        { name: 'loop2', type: 'symlink', linkname: 'loop1' },
        { name: 'loop1/f', content: 'x' },
      ]),
      'DEVENV_ARCHIVE_INVALID',
      /too many levels of symbolic links/,
    );
  });
});

describe('T10-T13 devices, bombs, caps and garbage', () => {
  it('T10 device nodes are never created; the rest of the volume is', async () => {
    const dir = await expectContained([
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'kept', content: 'x' },
    ]);
    expect(await readdir(dir)).toEqual(['kept']);
    expect(notices).toEqual([
      'null: character-device skipped: device nodes are never created from a layer',
      'sda: block-device skipped: device nodes are never created from a layer',
    ]);
  });

  it('T11 a gzip bomb stops at the byte cap and leaves the volume empty', async () => {
    const bomb = zlib.gzipSync(await makeTar([{ name: 'zeros', content: Buffer.alloc(4 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expectRefused(bomb, 'DEVENV_LIMIT', /exceeds the limit of 1048576/, { maxBytes: 1024 * 1024 });
  });

  it('T12 too many entries and too deep a path are refused', async () => {
    const many = await makeTar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    await expectRefused(many, 'DEVENV_LIMIT', /entry count/, { maxEntries: 10 });
    const deep = await makeTar([{ name: `${'d/'.repeat(40)}f`, content: 'x' }]);
    await expectRefused(deep, 'DEVENV_LIMIT', /depth|components/, { maxDepth: 16 });
  });

  it('T13 garbage is refused', async () => {
    await expectRefused(
      Buffer.from('this is not a tar archive at all'.repeat(40)),
      'DEVENV_ARCHIVE_INVALID',
      /./,
    );
  });
});
