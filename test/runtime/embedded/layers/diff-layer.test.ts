/**
 * diffLayer, the inverse of applyLayer: an upper dir written through a real overlay (as a container
 * would) must turn into a tar that, applied on the same lowers, shows the same merged tree, with
 * explicit whiteouts for what an opaque directory hides, hardlinks by inode, and identical bytes on
 * every run.
 */
import { createHash } from 'node:crypto';
import { chmod, link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeaderScanner } from '../../../../src/image/layer/header-scanner.js';
import { applyLayer, diffLayer, openOverlays } from '../../../../src/runtime/embedded/layers/index.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import { mergedListing } from './helpers/merged.js';
import { setXattr } from './helpers/xattrs.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('diffLayer (overlayfs mounts)', { root: isRoot });

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function headers(data: Buffer): Promise<string[]> {
  const out: string[] = [];
  const extract = tar.extract();
  extract.end(data);
  for await (const entry of extract) {
    const h = entry.header;
    out.push(`${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''} ${(h.mode & 0o7777).toString(8)}`);
    entry.resume();
  }
  return out;
}

describe.skipIf(noRoot)('diffLayer (needs root and overlayfs)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let base: string;
  let upper: string;
  beforeAll(async () => {
    tmp = await scratch();
    base = path.join(tmp.dir, 'base');
    await applyLayer({
      open: opener(
        await makeTar([
          { name: 'etc/', type: 'directory' },
          { name: 'etc/passwd', content: 'root' },
          { name: 'etc/gone', content: 'gone' },
          { name: 'opt/', type: 'directory' },
          { name: 'opt/a', content: 'a' },
          { name: 'opt/sub/b', content: 'b' },
          { name: 'var/', type: 'directory' },
        ]),
      ),
      target: base,
    });
    // A "container" changes things through a real read-write overlay.
    upper = path.join(tmp.dir, 'upper');
    const work = path.join(tmp.dir, 'work');
    const merged = path.join(tmp.dir, 'rw');
    for (const dir of [upper, work, merged]) await mkdir(dir);
    const view = await openOverlays([{ lowers: [base], upper, work, target: merged }]);
    const root = view.paths[0]!;
    try {
      await rm(path.join(root, 'etc/gone'));
      await writeFile(path.join(root, 'etc/passwd'), 'root\nuser');
      await rm(path.join(root, 'opt'), { recursive: true });
      await mkdir(path.join(root, 'opt'));
      await writeFile(path.join(root, 'opt/new'), 'new');
      await writeFile(path.join(root, 'var/data'), 'data');
      await link(path.join(root, 'var/data'), path.join(root, 'var/data-link'));
      await symlink('/etc/passwd', path.join(root, 'var/pw'));
      await writeFile(path.join(root, 'var/locked'), 'x');
      await chmod(path.join(root, 'var/locked'), 0);
    } finally {
      await view.close();
    }
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('emits whiteouts, explicit whiteouts for the opaque dir, hardlinks and modes', async () => {
    const data = await collect(diffLayer({ upper, lowers: [base], scratchDir: tmp.dir }));
    expect(await headers(data)).toEqual([
      'directory etc/ 755',
      'file etc/.wh.gone 644',
      'file etc/passwd 644',
      'directory opt/ 755',
      'file opt/.wh.a 644',
      'file opt/.wh.sub 644',
      'file opt/new 644',
      'directory var/ 755',
      'file var/data 644',
      'link var/data-link -> var/data 644',
      'file var/locked 0',
      'symlink var/pw -> /etc/passwd 777',
    ]);
  });

  it('round-trips: the diff applied on the same lowers shows what the upper showed', async () => {
    const data = await collect(diffLayer({ upper, lowers: [base], scratchDir: tmp.dir }));
    const again = await collect(diffLayer({ upper, lowers: [base], scratchDir: tmp.dir }));
    expect(createHash('sha256').update(again).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
    for (const mode of ['overlay', 'flatten'] as const) {
      const target = path.join(tmp.dir, `applied-${mode}`);
      await applyLayer({ open: opener(data), target, mode, parents: [base] });
      const want = await mergedListing(path.join(tmp.dir, `want-${mode}`), [upper, base], { mtimes: true });
      const got =
        mode === 'overlay'
          ? await mergedListing(path.join(tmp.dir, `got-${mode}`), [target, base], { mtimes: true })
          : await mergedListing(path.join(tmp.dir, `got-${mode}`), [target], { mtimes: true });
      expect(got).toEqual(want);
    }
  });

  it('reports an unreadable upper dir as a stream error', async () => {
    await expect(collect(diffLayer({ upper: path.join(tmp.dir, 'missing') }))).rejects.toThrow(/ENOENT/);
  });

  it('a base layer needs no mounts and gives the same tree back', async () => {
    const data = await collect(diffLayer({ upper: base }));
    const copy = path.join(tmp.dir, 'base-copy');
    await applyLayer({ open: opener(data), target: copy });
    expect(await mergedListing(path.join(tmp.dir, 'b1'), [copy], { mtimes: true })).toEqual(
      await mergedListing(path.join(tmp.dir, 'b2'), [base], { mtimes: true }),
    );
  });
});

describe('diffLayer keeps extended attributes', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('writes each file xattr, binary values byte for byte, as a PAX record the header scanner reads back', async () => {
    const upper = path.join(tmp.dir, 'upper');
    await mkdir(path.join(upper, 'bin'), { recursive: true });
    await writeFile(path.join(upper, 'bin/ping'), 'elf');
    await writeFile(path.join(upper, 'plain'), 'no xattrs');
    const binary = Buffer.from([0x00, 0xff, 0x0a, 0x3d, 0x80, 0x20]);
    setXattr(path.join(upper, 'bin/ping'), 'user.devenv.test', binary);
    const expected: [string, Buffer][] = [['user.devenv.test', binary]];
    if (isRoot) {
      // A file capability (cap_net_raw+ep), as `setcap` writes it: what `ping` needs to work.
      const capability = Buffer.from('0000000201000000010000000000000000000000', 'hex');
      setXattr(path.join(upper, 'bin/ping'), 'security.capability', capability);
      expected.unshift(['security.capability', capability]);
    }
    const scanner = new HeaderScanner();
    const names: string[] = [];
    const extract = tar.extract();
    const data = await collect(diffLayer({ upper }).pipe(scanner));
    extract.end(data);
    for await (const entry of extract) {
      names.push(entry.header.name);
      entry.resume();
    }
    const ping = names.indexOf('bin/ping');
    expect(ping).toBeGreaterThan(-1);
    expect(scanner.extras.get(ping)?.xattrs).toEqual(expected);
    expect(scanner.extras.get(names.indexOf('plain'))).toBeUndefined();
  });
});
