/**
 * image-spec layer.md whiteouts across layers: opaque marker first and last in the tar, `.wh.`
 * deletions of files, directories and symlinks, and re-creation after deletion. Overlay mode and
 * flatten mode must show a container the same tree.
 */
import { execFileSync } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, makeTar, scratch } from './helpers/fixtures.js';
import { applyChain, chainListing } from './helpers/chain.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('whiteouts across layers (overlayfs mounts)', { root: isRoot });

const dir = { name: '', type: 'directory' as const };
const layers = async (): Promise<Buffer[]> => [
  await makeTar([
    { ...dir, name: 'a/' },
    { ...dir, name: 'a/b/' },
    { name: 'a/b/c', content: 'c1' },
    { name: 'a/e', content: 'e1' },
    { ...dir, name: 'bin/' },
    { name: 'bin/tool', content: 'tool' },
    { ...dir, name: 'etc/' },
    { name: 'etc/keep', content: 'keep' },
    { name: 'etc/gone', content: 'gone' },
    { name: 'localetc', type: 'symlink', linkname: '/etc' },
    { ...dir, name: 'x/' },
    { name: 'x/y', content: 'y1' },
    { ...dir, name: 'tmp/', mode: 0o1777 },
  ]),
  // Opaque marker first, then the directory's new content.
  await makeTar([
    { ...dir, name: 'a/', mode: 0o750 },
    { name: 'a/.wh..wh..opq', content: '' },
    { name: 'a/new', content: 'new2' },
    { name: 'etc/.wh.gone', content: '' },
    { name: '.wh.localetc', content: '' },
    { name: '.wh.bin', content: '' },
    { name: 'tmp/t', content: 't' },
  ]),
  // Opaque marker last, after the directory's own new content; a deletion of the layer above's file.
  await makeTar([
    { ...dir, name: 'x/' },
    { name: 'x/z', content: 'z3' },
    { name: 'a/.wh.new', content: '' },
    { ...dir, name: 'bin/' },
    { name: 'bin/other', content: 'other' },
    { name: 'x/.wh..wh..opq', content: '' },
  ]),
];

describe.skipIf(noRoot)('whiteouts across layers (needs root and overlayfs)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('overlay mode and flatten mode give the same merged tree, the one the spec describes', async () => {
    const input = await layers();
    const overlay = await applyChain(path.join(tmp.dir, 'same'), input, 'overlay');
    const flat = await applyChain(path.join(tmp.dir, 'same'), input, 'flatten');
    const merged = await chainListing(tmp.dir, overlay, 'overlay', { mtimes: true });
    expect(await chainListing(tmp.dir, flat, 'flatten', { mtimes: true })).toEqual(merged);
    // Every entry has the fixture mtime: deleting or adding a child does not leak "now" into a parent.
    expect(merged.filter((line) => !line.endsWith('@1700000000'))).toEqual([]);
    const names = merged.map((line) => line.split(' ')[0]);
    expect(names).toEqual(['/a', '/bin', '/bin/other', '/etc', '/etc/keep', '/tmp', '/tmp/t', '/x', '/x/z']);
    // The opaque dir keeps the mode its own layer gave it; /tmp keeps 1777 though layer 2 only adds a file.
    expect(merged.find((line) => line.startsWith('/a '))).toMatch(/^\/a dir 0750 0:0/);
    expect(merged.find((line) => line.startsWith('/tmp '))).toMatch(/^\/tmp dir 1777 /);
  });

  it.each(['overlay', 'flatten'] as const)(
    '%s: a whiteout below a regular file hides nothing and is no error',
    async (mode) => {
      const input = [
        await makeTar([{ name: 'f', content: 'file' }]),
        await makeTar([
          { name: 'f/.wh.x', content: '' },
          { name: 'g', content: 'g' },
        ]),
      ];
      const chain = await applyChain(path.join(tmp.dir, `under-file-${mode}`), input, mode);
      expect(await chainListing(tmp.dir, chain, mode)).toEqual([
        expect.stringMatching(/^\/f file /),
        expect.stringMatching(/^\/g file /),
      ]);
    },
  );

  it('overlay mode writes kernel whiteouts (char 0:0) and opaque xattrs into the upper dir', async () => {
    const input = await layers();
    const [, second, third] = await applyChain(path.join(tmp.dir, 'upper'), input, 'overlay');
    for (const gone of ['etc/gone', 'localetc', 'bin']) {
      const info = await lstat(path.join(second!, gone));
      expect(info.isCharacterDevice() && info.rdev === 0, gone).toBe(true);
    }
    expect(opaque(path.join(second!, 'a'))).toBe('y');
    expect(opaque(path.join(third!, 'x'))).toBe('y');
    expect(opaque(path.join(third!, 'bin'))).toBe('');
  });
});

/** `trusted.overlay.opaque` via python3, since Node cannot read xattrs. */
function opaque(file: string): string {
  const script =
    'import os,sys\ntry: print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())\nexcept OSError: print("")';
  return execFileSync('python3', ['-c', script, file]).toString().trim();
}
