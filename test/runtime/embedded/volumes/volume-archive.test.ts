/**
 * exportVolume and importVolume: the tar has the shape Docker's side writes (names relative to the
 * volume root, no root entry, owners, modes, links, xattrs as raw PAX bytes), a round trip keeps the
 * tree exactly, a tar shaped like `docker cp --archive` output imports, and an import only ever fills
 * an empty volume, whole or not at all.
 */
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { HeaderScanner } from '../../../../src/image/layer/header-scanner.js';
import { TarWriter } from '../../../../src/image/layer/tar-writer.js';
import type { TarHeader } from '../../../../src/image/layer/tar-header.js';
import {
  createVolume,
  exportVolume,
  importVolume,
  removeVolume,
  volumeDataDir,
} from '../../../../src/runtime/embedded/volumes/index.js';
import type { Store } from '../../../../src/runtime/embedded/store/index.js';
import { checkStore } from '../../../../src/runtime/embedded/store/index.js';
import { skipUnless } from '../../../helpers/requirements.js';
import { isRoot, makeTar } from '../layers/helpers/fixtures.js';
import { treeListing } from '../layers/helpers/tree.js';
import { setXattr, xattrsOf } from '../layers/helpers/xattrs.js';
import { cleanupDirs, freshStore } from '../store/helpers/fixtures.js';

afterAll(cleanupDirs);

const noRoot = skipUnless('volume owners, setuid bits and file capabilities', { root: isRoot });
/** cap_net_raw+ep, as `setcap` writes it. */
const CAPABILITY = Buffer.from('0000000201000000010000000000000000000000', 'hex');
const BINARY = Buffer.from([0x00, 0xff, 0x0a, 0x3d, 0x80, 0x20]);

async function exported(store: Store, name: string): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exportVolume({ store }, name, sink);
  return Buffer.concat(chunks);
}

async function headersOf(data: Buffer): Promise<{ headers: tar.Header[]; scanner: HeaderScanner }> {
  const scanner = new HeaderScanner();
  const extract = tar.extract();
  const headers: tar.Header[] = [];
  Readable.from([data]).pipe(scanner).pipe(extract);
  for await (const entry of extract) {
    headers.push(entry.header);
    entry.resume();
  }
  return { headers, scanner };
}

/** A volume with everything a home folder or a cache can hold. */
async function richVolume(store: Store): Promise<string> {
  await createVolume({ store }, 'rich', {});
  const data = await volumeDataDir({ store }, 'rich');
  mkdirSync(path.join(data, 'home/dev/.ssh'), { recursive: true });
  writeFileSync(path.join(data, 'home/dev/.ssh/id'), 'secret');
  chmodSync(path.join(data, 'home/dev/.ssh/id'), 0o600);
  chmodSync(path.join(data, 'home/dev/.ssh'), 0o700);
  chownSync(path.join(data, 'home/dev/.ssh/id'), 1000, 1000);
  chownSync(path.join(data, 'home/dev/.ssh'), 1000, 1000);
  chownSync(path.join(data, 'home/dev'), 1000, 1001);
  mkdirSync(path.join(data, 'tmp'));
  chmodSync(path.join(data, 'tmp'), 0o1777);
  mkdirSync(path.join(data, 'empty'));
  writeFileSync(path.join(data, 'suid'), 'elf');
  chownSync(path.join(data, 'suid'), 0, 50);
  chmodSync(path.join(data, 'suid'), 0o4755);
  writeFileSync(path.join(data, 'sgid'), 'elf');
  chmodSync(path.join(data, 'sgid'), 0o2711);
  writeFileSync(path.join(data, 'ping'), 'elf');
  setXattr(path.join(data, 'ping'), 'security.capability', CAPABILITY);
  setXattr(path.join(data, 'ping'), 'user.devenv.test', BINARY);
  writeFileSync(path.join(data, 'a'), 'linked');
  linkSync(path.join(data, 'a'), path.join(data, 'home/b'));
  symlinkSync('/etc/passwd', path.join(data, 'abs-link'));
  symlinkSync('../a', path.join(data, 'home/rel-link'));
  symlinkSync('missing/target', path.join(data, 'dangling'));
  writeFileSync(path.join(data, 'none'), '');
  chmodSync(path.join(data, 'none'), 0o000);
  for (const file of ['a', 'suid', 'ping', 'none'])
    utimesSync(path.join(data, file), 1_600_000_000, 1_600_000_000);
  return data;
}

describe.skipIf(noRoot)('export and import (root: owners, setuid, capabilities)', () => {
  it('exports Docker-shaped entries: relative names, no root, owners, modes, links, raw xattrs', async () => {
    const store = await freshStore();
    await richVolume(store);
    const { headers, scanner } = await headersOf(await exported(store, 'rich'));
    const byName = new Map(headers.map((h) => [h.name, h]));
    expect(headers.some((h) => h.name === '' || h.name === './' || h.name.startsWith('/'))).toBe(false);
    expect(headers.every((h) => !h.name.startsWith('./'))).toBe(true);
    expect(byName.get('home/dev/')).toMatchObject({ type: 'directory', uid: 1000, gid: 1001 });
    expect(byName.get('home/dev/.ssh/id')).toMatchObject({ type: 'file', mode: 0o600, uid: 1000 });
    expect(byName.get('tmp/')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(byName.get('suid')).toMatchObject({ mode: 0o4755, gid: 50 });
    expect(byName.get('abs-link')).toMatchObject({ type: 'symlink', linkname: '/etc/passwd' });
    expect(byName.get('home/b')).toMatchObject({ type: 'link', linkname: 'a' });
    expect(byName.get('none')?.mtime).toEqual(new Date(1_600_000_000_000));
    expect(scanner.extras.get(headers.findIndex((h) => h.name === 'ping'))?.xattrs).toEqual([
      ['security.capability', CAPABILITY],
      ['user.devenv.test', BINARY],
    ]);
  });

  it('a round trip keeps the tree: owners, modes, setuid, sticky, links, empty dirs, times, xattrs', async () => {
    const store = await freshStore();
    const source = await richVolume(store);
    const data = await exported(store, 'rich');
    await createVolume({ store }, 'copy', {});
    await importVolume({ store }, 'copy', Readable.from([data]));
    const copy = await volumeDataDir({ store }, 'copy');
    // Docker's tar has no entry for the volume root, so its time is the import's; all else is kept.
    expect(await treeListing(copy, { mtimes: true })).toEqual(await treeListing(source, { mtimes: true }));
    expect(await treeListing(copy, { root: true })).toEqual(await treeListing(source, { root: true }));
    const [a, b] = [lstatSync(path.join(copy, 'a')), lstatSync(path.join(copy, 'home/b'))];
    expect(a.ino).toBe(b.ino);
    expect(a.nlink).toBe(2);
    expect(xattrsOf(path.join(copy, 'ping'))).toBe(xattrsOf(path.join(source, 'ping')));
    expect(xattrsOf(path.join(copy, 'ping'))).toContain('security.capability');
    // Nothing of the import is left in the store's scratch space, and the store checks clean.
    expect(readdirSync(store.paths.tmpDir)).toEqual([]);
    expect((await checkStore(store.root)).issues).toEqual([]);
  });

  it('imports a tar shaped as Docker writes it (docker cp --archive, names re-rooted)', async () => {
    // Go's archive/tar through Docker: directories with a trailing slash, hardlink targets as
    // docker cp names them ("./a"), file capabilities as a SCHILY.xattr PAX record with raw bytes.
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new TarWriter(out);
    const t = new Date(1_700_000_000_000);
    const add = (header: TarHeader, body?: string) =>
      writer.add(
        { mtime: t, uid: 0, gid: 0, ...header },
        body === undefined ? undefined : Readable.from([Buffer.from(body)]),
      );
    await add({ name: 'bin/', type: 'directory', mode: 0o755, size: 0 });
    await add(
      { name: 'bin/ping', type: 'file', mode: 0o755, size: 3, xattrs: [['security.capability', CAPABILITY]] },
      'elf',
    );
    await add({ name: 'home/', type: 'directory', mode: 0o755, size: 0, uid: 1000, gid: 1000 });
    await add({ name: 'home/notes', type: 'file', mode: 0o640, size: 2, uid: 1000, gid: 1000 }, 'hi');
    await add({ name: 'home/same', type: 'link', mode: 0o640, size: 0, linkname: './home/notes' });
    await add({ name: 'lib64', type: 'symlink', mode: 0o777, size: 0, linkname: '/usr/lib' });
    await writer.finish();
    out.end();
    const store = await freshStore();
    await createVolume({ store }, 'from-docker', {});
    await importVolume({ store }, 'from-docker', Readable.from([Buffer.concat(chunks)]));
    const data = await volumeDataDir({ store }, 'from-docker');
    expect(await treeListing(data)).toEqual([
      '/bin dir 0755 0:0',
      expect.stringMatching(/^\/bin\/ping file 0755 0:0 3 /) as unknown,
      '/home dir 0755 1000:1000',
      expect.stringMatching(/^\/home\/notes file 0640 1000:1000 2 /) as unknown,
      expect.stringMatching(/^\/home\/same file 0640 1000:1000 2 /) as unknown,
      '/lib64 symlink  0:0 -> /usr/lib',
    ]);
    expect(lstatSync(path.join(data, 'home/same')).ino).toBe(lstatSync(path.join(data, 'home/notes')).ino);
    expect(xattrsOf(path.join(data, 'bin/ping'))).toContain(CAPABILITY.toString('hex'));
  });
});

describe('import rules', () => {
  it('refuses a volume that is not empty and leaves its contents', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'full', {});
    writeFileSync(path.join(await volumeDataDir({ store }, 'full'), 'mine'), 'keep');
    const input = await makeTar([{ name: 'theirs', content: 'x' }]);
    await expect(importVolume({ store }, 'full', Readable.from([input]))).rejects.toMatchObject({
      code: 'DEVENV_FILE_EXISTS',
      message: expect.stringContaining('volume full is not empty') as unknown,
    });
    expect(readdirSync(await volumeDataDir({ store }, 'full'))).toEqual(['mine']);
  });

  it('an import and a removal of one volume take turns: the removal waits for the whole import', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'turns', {});
    const data = await makeTar([
      { name: 'one', content: 'x'.repeat(2048) },
      { name: 'two', content: 'y'.repeat(2048) },
    ]);
    async function* slowly(): AsyncGenerator<Buffer> {
      for (let at = 0; at < data.length; at += 1024) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        yield data.subarray(at, at + 1024);
      }
    }
    const order: string[] = [];
    const importing = importVolume({ store }, 'turns', Readable.from(slowly())).then(() => {
      order.push('imported');
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await removeVolume({ store }, 'turns', []);
    order.push('removed');
    await importing;
    expect(order).toEqual(['imported', 'removed']);
    expect(readdirSync(store.paths.volumesDir)).toEqual([]);
    expect(readdirSync(store.paths.tmpDir)).toEqual([]);
  });

  it('refuses a missing volume', async () => {
    const store = await freshStore();
    const input = await makeTar([{ name: 'x', content: 'x' }]);
    await expect(importVolume({ store }, 'ghost', Readable.from([input]))).rejects.toMatchObject({
      code: 'DEVENV_NOT_FOUND',
    });
  });

  it('a tar that breaks half way leaves the volume empty and no scratch behind', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'half', {});
    const whole = await makeTar([
      { name: 'first', content: 'a'.repeat(4096) },
      { name: 'second', content: 'b'.repeat(4096) },
    ]);
    const truncated = whole.subarray(0, 512 + 4096 + 512 + 100);
    await expect(importVolume({ store }, 'half', Readable.from([truncated]))).rejects.toMatchObject({
      code: 'DEVENV_ARCHIVE_INVALID',
      message: expect.stringContaining('cannot import into volume half') as unknown,
    });
    expect(readdirSync(await volumeDataDir({ store }, 'half'))).toEqual([]);
    expect(readdirSync(store.paths.tmpDir)).toEqual([]);
    expect((await checkStore(store.root)).issues).toEqual([]);
  });

  it('sets user.* attributes but reports and skips those that steer the kernel', async () => {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new TarWriter(out);
    const xattrs: [string, Buffer][] = [
      ['trusted.overlay.opaque', Buffer.from('y')],
      ['user.note', BINARY],
    ];
    await writer.add({ name: 'dir/', type: 'directory', mode: 0o755, size: 0, xattrs });
    await writer.finish();
    out.end();
    const store = await freshStore();
    await createVolume({ store }, 'attrs', {});
    const notices: string[] = [];
    const onNotice = (rel: string, message: string) => notices.push(`${rel}: ${message}`);
    await importVolume({ store, onNotice }, 'attrs', Readable.from([Buffer.concat(chunks)]));
    expect(notices).toEqual([
      'dir: extended attribute trusted.overlay.opaque not applied: only file capabilities and user.* are',
    ]);
    const dir = path.join(await volumeDataDir({ store }, 'attrs'), 'dir');
    expect(xattrsOf(dir)).toBe(`[('user.note', '${BINARY.toString('hex')}')]\n`);
  });

  it('keeps names that look like whiteouts as ordinary files, as docker cp does', async () => {
    const store = await freshStore();
    await createVolume({ store }, 'wh', {});
    await importVolume(
      { store },
      'wh',
      Readable.from([await makeTar([{ name: '.wh.notes', content: 'x' }])]),
    );
    expect(readFileSync(path.join(await volumeDataDir({ store }, 'wh'), '.wh.notes'), 'utf8')).toBe('x');
  });
});
