/**
 * Hostile layers (docs/reliability.md, T9-T12 and T16): bad whiteouts, devices,
 * bombs, oversized metadata and odd modes. Every rejection must be a clear DevenvError and leave
 * nothing under the final name or beside it. T13 (corrupt data) is in corrupt-input.test.ts.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../../src/runtime/embedded/layers/index.js';
import type { ApplyLayerOptions } from '../../../../src/runtime/embedded/layers/index.js';
import { removeTree } from '../../../../src/util/remove-tree.js';
import { expectNothingLeft, plantVictim } from './helpers/breakout.js';
import { applyChain, chainListing } from './helpers/chain.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import type { FixtureEntry } from './helpers/fixtures.js';
import { END, paxEntry, rawEntry } from './helpers/raw-tar.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('whiteouts of links, device entries and T16 modes (mknod, chown)', {
  root: isRoot,
});

let tmp: Awaited<ReturnType<typeof scratch>>;
let target: string;
beforeEach(async () => {
  tmp = await scratch();
  target = path.join(tmp.dir, 'layer');
});
afterEach(async () => {
  await tmp.cleanup();
});

const applyBuffer = (data: Buffer, options: Partial<ApplyLayerOptions> = {}) =>
  applyLayer({ open: opener(data), target, ...options });
const rejects = async (
  data: Buffer,
  code: string,
  message: RegExp,
  options: Partial<ApplyLayerOptions> = {},
) => {
  await expect(applyBuffer(data, options)).rejects.toMatchObject({ code, message });
  await expectNothingLeft(target);
};
const tarOf = (entries: FixtureEntry[]) => makeTar(entries);

describe('T9 whiteouts', () => {
  it.each(['.wh.', '.wh..', 'etc/.wh...'])('%s is an invalid whiteout', async (name) => {
    await rejects(await tarOf([{ name, content: '' }]), 'DEVENV_ARCHIVE_INVALID', /invalid whiteout name/);
  });

  it.skipIf(noRoot).each(['overlay', 'flatten'] as const)(
    'a whiteout of a symlink removes only the link (%s)',
    async (mode) => {
      const victim = await plantVictim(tmp.dir);
      const layers = [
        await tarOf([
          { name: 'etc/passwd', content: 'root' },
          { name: 'localetc', type: 'symlink', linkname: '/etc' },
          { name: 'escape', type: 'symlink', linkname: '../../victim' },
        ]),
        await tarOf([
          { name: '.wh.localetc', content: '' },
          { name: '.wh.escape', content: '' },
          { name: 'escape/.wh.hello', content: '' },
        ]),
      ];
      const dirs = await applyChain(path.join(tmp.dir, 'chain'), layers, mode);
      const names = (await chainListing(tmp.dir, dirs, mode)).map((line) => line.split(' ')[0]);
      expect(names).toEqual(['/etc', '/etc/passwd']);
      await victim.check();
    },
  );
});

describe('T10 devices and fifos', () => {
  it.skipIf(noRoot)(
    'skips char and block devices with a notice and never creates them; makes fifos',
    async () => {
      const notices: string[] = [];
      await applyBuffer(
        await tarOf([
          { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
          { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
          { name: 'run/fifo', type: 'fifo', mode: 0o620 },
        ]),
        { onNotice: (file, message) => notices.push(`${file}: ${message}`) },
      );
      expect(await readdir(path.join(target, 'dev'))).toEqual([]);
      expect(notices).toEqual([
        'dev/null: character-device skipped: device nodes are never created from a layer',
        'dev/sda: block-device skipped: device nodes are never created from a layer',
      ]);
      const fifo = await lstat(path.join(target, 'run/fifo'));
      expect(fifo.isFIFO() && (fifo.mode & 0o7777) === 0o620).toBe(true);
    },
  );

  it('rejects a negative device number', async () => {
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    const data = Buffer.concat([rawEntry({ name: 'dev/bad', typeflag: '3', devmajor: negative }), END]);
    await rejects(data, 'DEVENV_ARCHIVE_INVALID', /invalid device number/);
  });
});

describe('T11 bombs', () => {
  it('a small gzip of a huge run of zeros stops at the byte cap, quickly', async () => {
    const zeros = Buffer.alloc(1024 * 1024);
    const gzip = zlib.gzipSync(Buffer.concat(Array.from({ length: 256 }, () => zeros)), { level: 1 });
    expect(gzip.length).toBeLessThan(2 * 1024 * 1024);
    const started = Date.now();
    await rejects(gzip, 'DEVENV_LIMIT', /uncompressed size .* exceeds the limit of 16777216/, {
      limits: { maxBytes: 16 * 1024 * 1024 },
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a file whose PAX size lies beyond the data is an unexpected EOF', async () => {
    const data = Buffer.concat([
      paxEntry({ size: String(10 * 1024 ** 3) }),
      rawEntry({ name: 'big', typeflag: '0' }, 'x'),
    ]);
    await rejects(data, 'DEVENV_ARCHIVE_INVALID', /unexpected EOF/);
  });
});

describe('T12 limits', () => {
  it('a path deeper than maxDepth', async () => {
    const deep = Array.from({ length: 300 }, () => 'a').join('/');
    await rejects(
      await tarOf([{ name: deep, content: 'x' }]),
      'DEVENV_LIMIT',
      /path depth 300 exceeds the limit of 256/,
    );
  });

  it('a 10 000-component path is refused by length', async () => {
    const deep = Array.from({ length: 10_000 }, () => 'a').join('/');
    await rejects(await tarOf([{ name: deep, content: 'x' }]), 'DEVENV_LIMIT', /name length 19999 exceeds/);
  });

  it('more entries than maxEntries', async () => {
    const entries = Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, content: '' }));
    await rejects(await tarOf(entries), 'DEVENV_LIMIT', /entry count exceeds the limit of 100/, {
      limits: { maxEntries: 100 },
    });
  });

  it('a PAX header over 1 MiB, and one over tar-stream’s 4 MiB buffer', async () => {
    const big = (bytes: number) =>
      Buffer.concat([
        paxEntry({ comment: 'x'.repeat(bytes) }),
        rawEntry({ name: 'f', typeflag: '0' }, 'x'),
        END,
      ]);
    await rejects(
      big(2 * 1024 * 1024),
      'DEVENV_LIMIT',
      /PAX header of \d+ bytes exceeds the limit of 1048576/,
    );
    await rejects(big(5 * 1024 * 1024), 'DEVENV_LIMIT', /PAX or long-name header size exceeds/);
  });
});

describe.skipIf(noRoot)('T16 modes', () => {
  it('mode-000 dirs extract and can still be removed', async () => {
    // tar-stream's packer turns mode 0 into a default, so these entries are written by hand.
    await applyBuffer(
      Buffer.concat([
        rawEntry({ name: 'locked/', typeflag: '5', mode: 0 }),
        rawEntry({ name: 'locked/inner/', typeflag: '5', mode: 0 }),
        rawEntry({ name: 'locked/inner/f', typeflag: '0', mode: 0 }, 'secret'),
        END,
      ]),
    );
    const mode = async (rel: string) => ((await lstat(path.join(target, rel))).mode & 0o7777).toString(8);
    expect(await mode('locked')).toBe('0');
    expect(await mode('locked/inner/f')).toBe('0');
    expect(await readFile(path.join(target, 'locked/inner/f'), 'utf8')).toBe('secret');
    await removeTree(target);
    expect(await lstat(target).catch(() => undefined)).toBeUndefined();
  });

  it('keeps setuid, setgid and sticky bits and owners', async () => {
    await applyBuffer(
      await tarOf([
        { name: 'usr/bin/su', content: 'su', mode: 0o4755 },
        { name: 'usr/bin/wall', content: 'wall', mode: 0o2755, gid: 5 },
        { name: 'tmp/', type: 'directory', mode: 0o1777 },
        { name: 'shared/', type: 'directory', mode: 0o2775, uid: 1000, gid: 1000 },
      ]),
    );
    const mode = async (rel: string) => ((await lstat(path.join(target, rel))).mode & 0o7777).toString(8);
    expect(await mode('usr/bin/su')).toBe('4755');
    expect(await mode('usr/bin/wall')).toBe('2755');
    expect((await lstat(path.join(target, 'usr/bin/wall'))).gid).toBe(5);
    expect(await mode('tmp')).toBe('1777');
    expect(await mode('shared')).toBe('2775');
    expect((await lstat(path.join(target, 'shared'))).uid).toBe(1000);
  });
});
