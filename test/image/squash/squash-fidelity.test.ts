/**
 * What the squashed layer must carry over byte for byte, and what it must refuse: binary xattrs
 * (`security.capability`), mode 0, owners beyond the ustar range, long and non-ASCII names, device
 * numbers; names that leave the layer, hardlinks to nothing, entries below a file, limits.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import { DEFAULT_LAYER_LIMITS } from '../../../src/runtime/embedded/layers/index.js';
import { readLayerEntries } from '../../../src/image/layer/tar-entries.js';
import { squashLayers } from '../../../src/image/squash/index.js';
import { HeaderScanner } from '../../../src/image/layer/header-scanner.js';
import type { TarHeader } from '../../../src/image/layer/tar-header.js';
import { TarWriter } from '../../../src/image/layer/tar-writer.js';
import { makeTar, scratch } from '../../runtime/embedded/layers/helpers/fixtures.js';
import { squashBuffers, tarHeaders } from './helpers.js';

/** A layer written with the squash's own writer (tar-stream cannot write binary PAX values). */
async function rawTar(entries: readonly (TarHeader & { content?: Buffer })[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const writer = new TarWriter(sink);
  for (const { content, ...header } of entries)
    await writer.add(header, content === undefined ? undefined : Readable.from([content]));
  await writer.finish();
  return Buffer.concat(chunks);
}

/** The extras the raw scanner sees in `data`, by entry index. */
async function scan(data: Buffer) {
  const scanner = new HeaderScanner();
  await new Promise<void>((resolve, reject) => {
    scanner.on('error', reject).on('finish', resolve).resume();
    scanner.end(data);
  });
  return scanner.extras;
}

async function entries(data: Buffer) {
  const out = [];
  for await (const entry of readLayerEntries(Readable.from([data]), DEFAULT_LAYER_LIMITS))
    out.push({ rel: entry.rel, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid });
  return out;
}

// security.capability v2 for cap_net_raw+ep: bytes above 0x7f that UTF-8 decoding would mangle.
const CAPABILITY = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const BINARY = Buffer.from([0x00, 0x80, 0xff, 0xc3, 0x28, 0x0a]);
const LONG = `${'deep/'.repeat(40)}file-${'x'.repeat(120)}`;

describe('squashLayers fidelity', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch('devenv-squash-fidelity-');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('carries binary xattrs, mode 0, large owners, long and UTF-8 names and devices unchanged', async () => {
    const layer = await rawTar([
      { name: 'bin/', type: 'directory', mode: 0o755, size: 0 },
      {
        name: 'bin/ping',
        type: 'file',
        mode: 0o4755,
        size: 4,
        content: Buffer.from('ping'),
        xattrs: [
          ['security.capability', CAPABILITY],
          ['user.binary', BINARY],
        ],
      },
      { name: 'etc/shadow', type: 'file', mode: 0, size: 1, content: Buffer.from('s') },
      { name: 'home/big', type: 'file', mode: 0o600, uid: 3_000_000, gid: 4_000_000, size: 0 },
      { name: 'home/grüße ünïcode', type: 'file', mode: 0o644, size: 0 },
      { name: LONG, type: 'file', mode: 0o644, size: 2, content: Buffer.from('lg') },
      { name: 'l', type: 'symlink', mode: 0o777, size: 0, linkname: `/${'t'.repeat(150)}` },
      { name: 'dev/null', type: 'character-device', mode: 0o666, size: 0, devmajor: 1, devminor: 3 },
    ]);
    const { data } = await squashBuffers([layer, await makeTar([{ name: 'other', content: 'o' }])]);
    const listed = await entries(data);
    expect(listed.map((e) => e.rel)).toEqual([
      'bin',
      'bin/ping',
      'etc/shadow',
      'home/big',
      'home/grüße ünïcode',
      LONG,
      'other',
      'dev/null',
      'l',
    ]);
    expect(listed.find((e) => e.rel === 'etc/shadow')?.mode).toBe(0);
    expect(listed.find((e) => e.rel === 'home/big')).toMatchObject({ uid: 3_000_000, gid: 4_000_000 });
    expect(listed.find((e) => e.rel === 'bin/ping')?.mode).toBe(0o4755);
    const extras = await scan(data);
    expect(extras.get(1)?.xattrs).toEqual([
      ['security.capability', CAPABILITY],
      ['user.binary', BINARY],
    ]);
    expect(extras.get(7)).toMatchObject({ devmajor: 1, devminor: 3 });
    expect(await tarHeaders(data)).toContain(`symlink l -> /${'t'.repeat(150)} 0777 0:0 0`);
    // GNU tar reads the same archive: PAX paths, owners and xattrs included.
    const file = `${tmp.dir}/squashed.tar`;
    writeFileSync(file, data);
    const listing = execFileSync('tar', ['--xattrs', '--numeric-owner', '-tvf', file], { encoding: 'utf8' });
    expect(listing).toContain(LONG);
    expect(listing).toMatch(/3000000\/4000000 .* home\/big/);
  });

  it("gives a hardlink's header the metadata and xattrs of the file it shares, as go-archive applies them", async () => {
    const layer = await rawTar([
      {
        name: 'bin/captrue',
        type: 'file',
        mode: 0o755,
        uid: 5,
        gid: 6,
        size: 1,
        content: Buffer.from('t'),
        xattrs: [['security.capability', CAPABILITY]],
      },
      { name: 'bin/caplink', type: 'link', mode: 0o644, size: 0, linkname: 'bin/captrue' },
    ]);
    const { data } = await squashBuffers([layer]);
    expect(await tarHeaders(data)).toEqual([
      'file bin/caplink 0755 5:6 1',
      'link bin/captrue -> bin/caplink 0755 5:6 0',
    ]);
    const extras = await scan(data);
    expect(extras.get(0)?.xattrs).toEqual([['security.capability', CAPABILITY]]);
    expect(extras.get(1)?.xattrs).toEqual([['security.capability', CAPABILITY]]);
  });

  it('writes an empty layer (two zero blocks) for no input, with the well-known empty diff ID', async () => {
    const { data, result } = await squashBuffers([]);
    expect(data).toEqual(Buffer.alloc(1024));
    expect(result.diffId).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });

  it('refuses what the applier refuses, and hardlinks into base files that later change', async () => {
    const refusal = async (layers: Buffer[]) =>
      squashBuffers(layers).then(
        () => undefined,
        (error: unknown) => (error instanceof DevenvError ? `${error.code}: ${error.message}` : error),
      );
    expect(await refusal([await makeTar([{ name: 'a/../../x', content: 'x' }])])).toMatch(
      /DEVENV_ARCHIVE_INVALID: .*leaves the layer/,
    );
    // A layer's whiteouts apply before its entries, so its own link then finds nothing, as in the applier.
    expect(
      await refusal([
        await makeTar([
          { name: 'h', type: 'link', linkname: 'gone' },
          { name: '.wh.gone', content: '' },
        ]),
      ]),
    ).toMatch(/DEVENV_ARCHIVE_INVALID: .*hardlink target \/gone does not exist/);
    expect(
      await refusal([
        await makeTar([{ name: '.wh.gone', content: '' }]),
        await makeTar([{ name: 'h', type: 'link', linkname: 'gone' }]),
      ]),
    ).toMatch(/DEVENV_ARCHIVE_INVALID: .*hardlink target \/gone does not exist/);
    expect(
      await refusal([
        await makeTar([
          { name: 'f', content: 'f' },
          { name: 'f/x', content: 'x' },
        ]),
      ]),
    ).toMatch(/DEVENV_ARCHIVE_INVALID: .*parent \/f is not a directory/);
    expect(
      await refusal([
        await makeTar([{ name: 'alias', type: 'link', linkname: 'usr/bin/tool' }]),
        await makeTar([{ name: 'usr/bin/tool', content: 'new' }]),
      ]),
    ).toMatch(
      /DEVENV_UNSUPPORTED: cannot squash: \/alias is a hardlink to \/usr\/bin\/tool of the base image/,
    );
  });

  it('notices a layer that changes between its two reads', async () => {
    const versions = [
      await makeTar([{ name: 'f', content: 'one' }]),
      await makeTar([{ name: 'f', content: 'two' }]),
    ];
    let reads = 0;
    const sink = new Writable({
      write: (_chunk, _encoding, done) => {
        done();
      },
    });
    await expect(
      squashLayers([() => Readable.from([versions[Math.min(reads++, 1)] ?? Buffer.alloc(0)])], sink),
    ).rejects.toMatchObject({ code: 'DEVENV_DIGEST_MISMATCH' });
    expect(sink.destroyed).toBe(true);
  });

  it('enforces the entry and byte limits on the squashed layer', async () => {
    const layer = await makeTar([
      { name: 'a', content: 'a' },
      { name: 'b', content: 'b' },
      { name: 'c', content: Buffer.alloc(4096) },
    ]);
    await expect(squashBuffers([layer], { limits: { maxEntries: 2 } })).rejects.toMatchObject({
      code: 'DEVENV_LIMIT',
    });
    await expect(squashBuffers([layer], { limits: { maxBytes: 4096 } })).rejects.toMatchObject({
      code: 'DEVENV_LIMIT',
    });
  });
});
