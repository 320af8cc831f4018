/**
 * squashLayers against the project's own applier: for each scenario, base + the squashed layer must
 * give the same tree (content, modes, owners, mtimes, hardlinks) as base + every original layer, and
 * the squashed layer must hold only what it needs (no deleted content, whiteouts only where the base
 * could still show through).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, makeTar, scratch } from '../../runtime/embedded/layers/helpers/fixtures.js';
import type { FixtureEntry } from '../../runtime/embedded/layers/helpers/fixtures.js';
import { compareTrees, squashBuffers, tarHeaders } from './helpers.js';
import { skipUnless } from '../../helpers/requirements.js';

const noRoot = skipUnless('squashLayers (the applier chowns)', { root: isRoot });

const dir = (name: string, extra: Partial<FixtureEntry> = {}): FixtureEntry => ({
  name,
  type: 'directory',
  ...extra,
});
const file = (name: string, content: string | Buffer, extra: Partial<FixtureEntry> = {}): FixtureEntry => ({
  name,
  content,
  ...extra,
});
const whiteout = (name: string): FixtureEntry => ({ name, content: '' });

const base = () =>
  makeTar([
    dir('etc/'),
    file('etc/conf', 'v0'),
    file('etc/gone', 'base only'),
    dir('opt/'),
    dir('opt/old/'),
    file('opt/old/data', 'old'),
    file('opt/top', 'top'),
    dir('d/'),
    file('d/basefile', 'base'),
    file('f', 'base f'),
    { name: 's', type: 'symlink', linkname: '/etc' },
    dir('tmp/', { mode: 0o1777 }),
  ]);

describe.skipIf(noRoot)('squashLayers (needs root for the applier)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let n = 0;
  const where = () => `${tmp.dir}/case-${n++}`;
  beforeAll(async () => {
    tmp = await scratch('devenv-squash-');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  /** Squashes `layers` and compares the trees in both applier modes; returns the squashed headers. */
  async function check(layers: Buffer[]): Promise<string[]> {
    const { data, result } = await squashBuffers(layers);
    expect(result.diffId).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(result.size).toBe(data.length);
    for (const mode of ['flatten', 'overlay'] as const) {
      const trees = await compareTrees(where(), await base(), layers, data, mode);
      expect(trees.squashed, mode).toEqual(trees.original);
    }
    return tarHeaders(data);
  }

  it('keeps only the newest version of a file overwritten across layers', async () => {
    const names = await check([
      await makeTar([dir('etc/'), file('etc/conf', 'v1'), dir('a/'), file('a/x', 'x1')]),
      await makeTar([dir('etc/', { mode: 0o750 }), file('etc/conf', 'version two')]),
      await makeTar([dir('a/'), file('a/x', 'x3', { mode: 0o600, uid: 7, gid: 8 })]),
    ]);
    expect(names).toEqual([
      'directory a/ 0755 0:0 0',
      'directory etc/ 0750 0:0 0',
      // Files come in layer order: each layer is read once, oldest first.
      'file etc/conf 0644 0:0 11',
      'file a/x 0600 7:8 2',
    ]);
  });

  it('drops a file created in one layer and deleted in a later one (RUN dd; RUN rm)', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0);
    const layers = [
      await makeTar([file('big', big)]),
      await makeTar([whiteout('.wh.big')]),
      await makeTar([file('kept', 'hi\n')]),
    ];
    const names = await check(layers);
    const { data } = await squashBuffers(layers);
    expect(data.length).toBeLessThan(10 * 1024);
    // The whiteout stays: the squash cannot know that the base has no /big.
    expect(names).toEqual(['file .wh.big 0644 0:0 0', 'file kept 0644 0:0 3']);
  });

  it('keeps the whiteout of a file that only the base has', async () => {
    const names = await check([await makeTar([dir('etc/'), whiteout('etc/.wh.gone')])]);
    expect(names).toEqual(['file etc/.wh.gone 0644 0:0 0', 'directory etc/ 0755 0:0 0']);
  });

  it('keeps an opaque directory over base content, with what newer layers add', async () => {
    const names = await check([
      await makeTar([dir('opt/'), whiteout('opt/.wh..wh..opq'), file('opt/new', 'new')]),
      await makeTar([dir('opt/'), file('opt/newer', 'newer')]),
    ]);
    expect(names).toEqual([
      'file opt/.wh..wh..opq 0644 0:0 0',
      'directory opt/ 0755 0:0 0',
      'file opt/new 0644 0:0 3',
      'file opt/newer 0644 0:0 5',
    ]);
  });

  it('turns a whiteout followed by a re-creation into the new entry (an opaque one for a directory)', async () => {
    const names = await check([
      await makeTar([whiteout('.wh.d'), whiteout('.wh.f')]),
      await makeTar([dir('d/'), file('d/fresh', 'fresh'), file('f', 'new f')]),
    ]);
    expect(names).toEqual([
      'file d/.wh..wh..opq 0644 0:0 0',
      'directory d/ 0755 0:0 0',
      'file d/fresh 0644 0:0 5',
      'file f 0644 0:0 5',
    ]);
  });

  it('applies a whiteout only to older layers, never to entries of its own layer', async () => {
    const names = await check([
      await makeTar([file('x', 'old x'), dir('y/'), file('y/old', 'old')]),
      await makeTar([
        file('x', 'own x'),
        whiteout('.wh.x'),
        dir('y/'),
        file('y/own', 'own'),
        whiteout('y/.wh..wh..opq'),
      ]),
    ]);
    expect(names).toEqual([
      'file y/.wh..wh..opq 0644 0:0 0',
      'directory y/ 0755 0:0 0',
      'file x 0644 0:0 5',
      'file y/own 0644 0:0 3',
    ]);
  });

  it('materializes a hardlink whose target a newer layer replaced, and keeps one that still shares', async () => {
    const names = await check([
      await makeTar([dir('bin/'), file('bin/tool', 'tool v1'), file('bin/lib', 'lib')]),
      await makeTar([
        dir('bin/'),
        { name: 'bin/alias', type: 'link', linkname: 'bin/tool' },
        { name: 'bin/lib2', type: 'link', linkname: 'bin/lib' },
      ]),
      await makeTar([dir('bin/'), file('bin/tool', 'tool v2 is longer')]),
    ]);
    expect(names).toEqual([
      'directory bin/ 0755 0:0 0',
      'file bin/alias 0644 0:0 7',
      'file bin/lib 0644 0:0 3',
      'file bin/tool 0644 0:0 17',
      'link bin/lib2 -> bin/lib 0644 0:0 0',
    ]);
  });

  it('keeps a hardlink to a base file that the squashed layers leave alone', async () => {
    const names = await check([
      await makeTar([dir('opt/'), { name: 'opt/top2', type: 'link', linkname: 'opt/top' }]),
    ]);
    expect(names).toEqual(['directory opt/ 0755 0:0 0', 'link opt/top2 -> opt/top 0644 0:0 0']);
  });

  it('replaces a symlink with a directory, from the base and from an older layer', async () => {
    const names = await check([
      await makeTar([{ name: 's2', type: 'symlink', linkname: 'etc' }]),
      await makeTar([dir('s/'), file('s/inner', 'in'), dir('s2/'), file('s2/inner', 'in2')]),
    ]);
    expect(names).toEqual([
      'file s2/.wh..wh..opq 0644 0:0 0',
      'directory s/ 0755 0:0 0',
      'directory s2/ 0755 0:0 0',
      'file s/inner 0644 0:0 2',
      'file s2/inner 0644 0:0 3',
    ]);
  });

  it('writes the same bytes for the same input', async () => {
    const layers = [
      await makeTar([
        dir('z/'),
        file('z/b', 'b'),
        file('z/a', 'a'),
        { name: 'l', type: 'symlink', linkname: 'z' },
      ]),
      await makeTar([whiteout('z/.wh.b'), file('y', 'y'), { name: 'h', type: 'link', linkname: 'z/a' }]),
    ];
    const first = await squashBuffers(layers);
    const second = await squashBuffers(layers);
    expect(second.data.equals(first.data)).toBe(true);
    expect(second.result).toEqual(first.result);
  });
});
