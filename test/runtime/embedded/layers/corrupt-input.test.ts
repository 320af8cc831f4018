/**
 * Hostile layers (docs/reliability.md, T13): garbage, truncation, bad checksums and
 * compression errors give "invalid tar header" / "unexpected EOF" style errors and commit nothing.
 * Also PAX record handling and that a rejected layer releases its source.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../../src/runtime/embedded/layers/index.js';
import type { ApplyLayerOptions } from '../../../../src/runtime/embedded/layers/index.js';
import { expectNothingLeft } from './helpers/breakout.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import type { FixtureEntry } from './helpers/fixtures.js';
import { END, paxEntry, rawEntry } from './helpers/raw-tar.js';
import { waitFor } from '../../../helpers/wait-for.js';

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

describe('T13 garbage and corruption', () => {
  const valid = () =>
    tarOf([
      { name: 'a', content: 'x'.repeat(5000) },
      { name: 'b', content: 'y' },
    ]);

  it('random bytes are an invalid tar header', async () => {
    await rejects(
      Buffer.from('this is not a tar file at all'.repeat(40)),
      'DEVENV_ARCHIVE_INVALID',
      /invalid tar header/,
    );
  });

  it('a truncated tar is an unexpected EOF', async () => {
    await rejects((await valid()).subarray(0, 2048), 'DEVENV_ARCHIVE_INVALID', /unexpected EOF/);
  });

  it('a bad header checksum is an invalid tar header', async () => {
    const data = Buffer.concat([rawEntry({ name: 'f', typeflag: '0', checksumDelta: 1 }, 'x'), END]);
    await rejects(data, 'DEVENV_ARCHIVE_INVALID', /invalid tar header/);
  });

  it('xz (an unknown compression) is an invalid tar header', async () => {
    const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(2000, 7)]);
    await rejects(xz, 'DEVENV_ARCHIVE_INVALID', /invalid tar header/);
  });

  it('a bad gzip CRC and a truncated gzip are corrupt gzip data', async () => {
    const gzip = zlib.gzipSync(await valid());
    const badCrc = Buffer.from(gzip);
    badCrc[badCrc.length - 8]! ^= 0xff;
    await rejects(badCrc, 'DEVENV_ARCHIVE_INVALID', /corrupt gzip data/);
    await rejects(
      gzip.subarray(0, gzip.length - 20),
      'DEVENV_ARCHIVE_INVALID',
      /corrupt gzip data|unexpected EOF/,
    );
  });

  it('GNU sparse entries, typeflag S or PAX GNU.sparse, are refused', async () => {
    await rejects(
      Buffer.concat([rawEntry({ name: 's', typeflag: 'S' }, 'x'), END]),
      'DEVENV_ARCHIVE_INVALID',
      /GNU sparse/,
    );
    const pax = Buffer.concat([
      paxEntry({ 'GNU.sparse.major': '1' }),
      rawEntry({ name: 's', typeflag: '0' }, 'x'),
      END,
    ]);
    await rejects(pax, 'DEVENV_ARCHIVE_INVALID', /GNU sparse files are not supported/);
  });

  it('a source stream that fails mid-way is reported and cleaned up', async () => {
    const data = await valid();
    const open = () =>
      Readable.from(
        (async function* () {
          yield data.subarray(0, 1024);
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error('connection reset');
        })(),
      );
    await expect(applyLayer({ open, target })).rejects.toThrow('connection reset');
    await expectNothingLeft(target);
  });
});

describe('resources', () => {
  it('a rejected layer closes its source stream, so a file leaves no descriptor open', async () => {
    const file = path.join(tmp.dir, 'bad.tar');
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, content: 'x'.repeat(100_000) }));
    await writeFile(file, await tarOf([{ name: '../escape', content: 'x' }, ...entries]));
    const sources: ReturnType<typeof createReadStream>[] = [];
    const open = () => {
      const source = createReadStream(file, { highWaterMark: 4096 });
      sources.push(source);
      return source;
    };
    await expect(applyLayer({ open, target })).rejects.toThrow(/leaves the layer/);
    await waitFor(() => sources.every((source) => source.destroyed), 'the source to be destroyed', 15_000);
    expect(sources).toHaveLength(1);
  });
});

describe('PAX records', () => {
  it('a PAX global header is ignored; per-entry PAX path, uid, gid and mtime apply', async () => {
    const data = Buffer.concat([
      paxEntry({ path: 'evil' }, 'g'),
      paxEntry({ path: 'long/' + 'n'.repeat(200), uid: '3000000', gid: '3000001', mtime: '1600000000.5' }),
      rawEntry({ name: 'short', typeflag: '0' }, 'data'),
      paxEntry({ comment: 'x' }),
      rawEntry({ name: 'second', typeflag: '0' }, 'two'),
      END,
    ]);
    await applyBuffer(data, { chown: isRoot });
    const file = await lstat(path.join(target, 'long', 'n'.repeat(200)));
    expect(file.mtimeMs).toBe(1_600_000_000_500);
    if (isRoot) expect([file.uid, file.gid]).toEqual([3_000_000, 3_000_001]);
    expect(await readFile(path.join(target, 'second'), 'utf8')).toBe('two');
    expect(await lstat(path.join(target, 'evil')).catch(() => undefined)).toBeUndefined();
  });
});

describe('a plain tar the caller already hashed (knownDiffId)', () => {
  it('is unpacked with that diff ID; a blob that turns out compressed is refused', async () => {
    const tarBytes = await makeTar([{ name: 'f', content: 'x' }]);
    const diffId = `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`;
    const applied = await applyBuffer(tarBytes, { knownDiffId: diffId });
    expect(applied.diffId).toBe(diffId);
    expect(await readFile(path.join(target, 'f'), 'utf8')).toBe('x');
    target = path.join(tmp.dir, 'second');
    await rejects(zlib.gzipSync(tarBytes), 'DEVENV_DIGEST_MISMATCH', /gzip-compressed, not a plain tar/, {
      knownDiffId: diffId,
    });
  });

  it('the byte cap still applies', async () => {
    const tarBytes = await makeTar([{ name: 'f', content: 'x'.repeat(4096) }]);
    await rejects(tarBytes, 'DEVENV_LIMIT', /uncompressed size/, {
      knownDiffId: `sha256:${'0'.repeat(64)}`,
      limits: { maxBytes: 2048 },
    });
  });
});

describe('a layer blob given as its file', () => {
  const fileOf = async (data: Buffer) => {
    const file = path.join(tmp.dir, `blob-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, data);
    return { file };
  };
  const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

  it('a plain tar is read in place; a compressed one is streamed; both give the diff ID of the tar', async () => {
    const tarBytes = await makeTar([
      { name: 'dir/', type: 'directory' },
      { name: 'dir/big', content: Buffer.alloc(3 * 1024 * 1024 + 5, 9) },
      { name: 'dir/small', content: 'small' },
    ]);
    const plain = await applyLayer({ open: await fileOf(tarBytes), target });
    expect(plain.diffId).toBe(sha(tarBytes));
    expect((await readFile(path.join(target, 'dir/big'))).equals(Buffer.alloc(3 * 1024 * 1024 + 5, 9))).toBe(
      true,
    );
    target = path.join(tmp.dir, 'gzip');
    const gzip = await applyLayer({ open: await fileOf(zlib.gzipSync(tarBytes)), target });
    expect(gzip).toEqual(plain);
    expect(await readFile(path.join(target, 'dir/small'), 'utf8')).toBe('small');
  });

  it('keeps the checks of a known diff ID, the byte cap and truncation, and leaves nothing', async () => {
    const tarBytes = await makeTar([{ name: 'f', content: 'x'.repeat(4096) }]);
    const known = { knownDiffId: sha(tarBytes) };
    expect((await applyLayer({ open: await fileOf(tarBytes), target, ...known })).diffId).toBe(sha(tarBytes));
    const cases: [Buffer, string, RegExp, Partial<ApplyLayerOptions>][] = [
      [zlib.gzipSync(tarBytes), 'DEVENV_DIGEST_MISMATCH', /gzip-compressed, not a plain tar/, known],
      [tarBytes, 'DEVENV_LIMIT', /uncompressed size/, { ...known, limits: { maxBytes: 2048 } }],
      [tarBytes.subarray(0, 2048), 'DEVENV_ARCHIVE_INVALID', /unexpected EOF/, {}],
      [tarBytes, 'DEVENV_DIGEST_MISMATCH', /invalid diffID/, { expectedDiffId: `sha256:${'0'.repeat(64)}` }],
    ];
    for (const [i, [data, code, message, options]] of cases.entries()) {
      target = path.join(tmp.dir, `case-${i}`);
      await expect(applyLayer({ open: await fileOf(data), target, ...options })).rejects.toMatchObject({
        code,
        message,
      });
      await expectNothingLeft(target);
    }
  });
});
