/**
 * Hostile layers (docs/reliability.md, T1-T8): names and links that try to leave
 * the layer. Oracle: go-archive testBreakout (victim beside the destination stays byte-identical, no
 * inode shared with a host file) plus host canaries.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../../src/runtime/embedded/layers/index.js';
import { expectNothingLeft, plantVictim } from './helpers/breakout.js';
import { applyChain, chainListing } from './helpers/chain.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import type { FixtureEntry } from './helpers/fixtures.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('T2-T8 links (chown)', { root: isRoot });

let tmp: Awaited<ReturnType<typeof scratch>>;
let victim: Awaited<ReturnType<typeof plantVictim>>;
let target: string;
beforeEach(async () => {
  tmp = await scratch();
  victim = await plantVictim(tmp.dir);
  target = path.join(tmp.dir, 'layer');
});
afterEach(async () => {
  await tmp.cleanup();
});

const apply = async (entries: FixtureEntry[]) => applyLayer({ open: opener(await makeTar(entries)), target });
const rejects = async (entries: FixtureEntry[], message: RegExp) => {
  await expect(apply(entries)).rejects.toMatchObject({ code: 'DEVENV_ARCHIVE_INVALID', message });
  await expectNothingLeft(target);
  await victim.check();
};
const canary = () => `devenv-canary-${randomBytes(6).toString('hex')}`;

describe('T1 names that leave the layer', () => {
  it.each([['../../victim/x'], ['../x'], ['a/../../x'], ['a/b/../../../victim/hello']])(
    '%s is rejected',
    async (name) => {
      await rejects([{ name, content: 'pwned' }], /leaves the layer/);
    },
  );

  it('a NUL byte in a name (via PAX) is rejected', async () => {
    await rejects([{ name: 'a\0b', content: 'x', pax: {} }], /NUL/);
  });

  it('/abs/x, ////x and C:../x are stripped and land inside', async () => {
    await apply([
      { name: '/abs/x', content: '1' },
      { name: '////y', content: '2' },
      { name: 'C:../z', content: '3' },
      { name: './/./w', content: '4' },
    ]);
    expect(await readFile(path.join(target, 'abs/x'), 'utf8')).toBe('1');
    expect(await readFile(path.join(target, 'y'), 'utf8')).toBe('2');
    expect(await readFile(path.join(target, 'C:../z'), 'utf8')).toBe('3');
    expect(await readFile(path.join(target, 'w'), 'utf8')).toBe('4');
    await victim.check(target);
  });
});

describe.skipIf(noRoot)('T2-T8 links (needs root for chown)', () => {
  it('T2 an absolute symlink directory resolves inside the layer', async () => {
    const name = canary();
    await apply([
      { name: 'localetc', type: 'symlink', linkname: '/etc' },
      { name: `localetc/${name}`, content: 'x' },
      { name: 'l1', type: 'symlink', linkname: '/l2' },
      { name: 'l2', type: 'symlink', linkname: '/etc' },
      { name: `l1/${name}-2`, content: 'y' },
    ]);
    expect(await readFile(path.join(target, 'etc', name), 'utf8')).toBe('x');
    expect(await readFile(path.join(target, 'etc', `${name}-2`), 'utf8')).toBe('y');
    expect(await lstat(`/etc/${name}`).catch(() => undefined)).toBeUndefined();
    await victim.check(target);
  });

  it('T3 legitimate absolute symlinks are kept verbatim', async () => {
    await apply([
      {
        name: 'lib64/ld-linux-x86-64.so.2',
        type: 'symlink',
        linkname: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      },
      { name: 'etc/localtime', type: 'symlink', linkname: '/usr/share/zoneinfo/UTC' },
      { name: 'usr/bin/awk', type: 'symlink', linkname: '/etc/alternatives/awk' },
    ]);
    expect(await readlink(path.join(target, 'lib64/ld-linux-x86-64.so.2'))).toBe(
      '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    );
    expect(await readlink(path.join(target, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    expect(await readlink(path.join(target, 'usr/bin/awk'))).toBe('/etc/alternatives/awk');
  });

  it.each([
    ['/etc/shadow', /hardlink target \/etc\/shadow is outside the layer/],
    ['../victim/hello', /hardlink target \.\.\/victim\/hello is outside the layer/],
    ['../../victim/hello', /outside the layer/],
    ['/../a', /outside the layer/],
  ])('T4 hardlink to %s is rejected', async (linkname, message) => {
    await rejects(
      [
        { name: 'a', content: 'a' },
        { name: 'h', type: 'link', linkname },
      ],
      message,
    );
  });

  it('T4 a hardlink to /etc/shadow inside the layer links the layer file, never the host one', async () => {
    await apply([
      { name: 'etc/shadow', content: 'layer shadow' },
      { name: 'h', type: 'link', linkname: '/etc/shadow' },
    ]);
    const [host, inLayer, link] = await Promise.all(
      ['/etc/shadow', path.join(target, 'etc/shadow'), path.join(target, 'h')].map((file) => lstat(file)),
    );
    expect(link!.ino).toBe(inLayer!.ino);
    expect(link!.ino).not.toBe(host!.ino);
    await victim.check(target);
  });

  it('T5 writes and hardlinks through d1 -> ../../etc stay inside', async () => {
    await apply([
      { name: 'd1', type: 'symlink', linkname: '../../etc' },
      { name: 'd1/passwd', content: 'pwned', mode: 0o777 },
      { name: 'd1/hl', type: 'link', linkname: 'd1/passwd' },
    ]);
    expect(await readFile(path.join(target, 'etc/passwd'), 'utf8')).toBe('pwned');
    expect((await lstat(path.join(target, 'etc/hl'))).nlink).toBe(2);
    await victim.check(target);
  });

  it('T6 a directory replaced by a symlink is not written through', async () => {
    await apply([
      { name: 'a/', type: 'directory' },
      { name: 'a', type: 'symlink', linkname: victim.victim },
      { name: 'a/f', content: 'x' },
      { name: 'b', type: 'symlink', linkname: '/tmp' },
      { name: 'b', content: 'replaced the link' },
      { name: 'ﬀ', content: 'ligature' },
      { name: 'FF', content: 'upper' },
      { name: 'ff', content: 'lower' },
      { name: 'back\\slash', content: 'bs' },
    ]);
    expect(await readlink(path.join(target, 'a'))).toBe(victim.victim);
    expect(await readFile(path.join(target, victim.victim, 'f'), 'utf8')).toBe('x');
    expect((await lstat(path.join(target, 'b'))).isFile()).toBe(true);
    for (const [name, text] of [
      ['ﬀ', 'ligature'],
      ['FF', 'upper'],
      ['ff', 'lower'],
      ['back\\slash', 'bs'],
    ])
      expect(await readFile(path.join(target, name!), 'utf8')).toBe(text);
    await victim.check(target);
  });

  it('T6 a name taken by a symlink to a host file is replaced by a file, a symlink or a hardlink', async () => {
    const hostFile = path.join(victim.victim, 'hello');
    await apply([
      { name: 'keep', content: 'kept' },
      { name: 'f', type: 'symlink', linkname: hostFile },
      { name: 'f', content: 'new file' },
      { name: 's', type: 'symlink', linkname: hostFile },
      { name: 's', type: 'symlink', linkname: 'keep' },
      { name: 'h', type: 'symlink', linkname: hostFile },
      { name: 'h', type: 'link', linkname: 'keep' },
      { name: 'd/', type: 'directory' },
      { name: 'd', content: 'a file where a directory was' },
    ]);
    expect(await readFile(path.join(target, 'f'), 'utf8')).toBe('new file');
    expect((await lstat(path.join(target, 'f'))).isFile()).toBe(true);
    expect(await readlink(path.join(target, 's'))).toBe('keep');
    expect((await lstat(path.join(target, 'h'))).ino).toBe((await lstat(path.join(target, 'keep'))).ino);
    expect(await readFile(path.join(target, 'd'), 'utf8')).toBe('a file where a directory was');
    await victim.check(target);
  });

  it.each(['overlay', 'flatten'] as const)(
    'T7 a symlink from a lower layer is resolved in the rootfs (%s)',
    async (mode) => {
      const layers = [
        await makeTar([{ name: 'x', type: 'symlink', linkname: '../../../victim' }]),
        await makeTar([{ name: 'x/authorized_keys', content: 'ssh-ed25519 AAAA' }]),
      ];
      const dirs = await applyChain(path.join(tmp.dir, 'chain'), layers, mode);
      const merged = await chainListing(tmp.dir, dirs, mode);
      expect(merged.map((line) => line.split(' ')[0])).toEqual(['/victim', '/victim/authorized_keys', '/x']);
      for (const dir of dirs) await victim.check(dir);
    },
  );

  it('T8 nested symlinks climbing out are clamped at the root', async () => {
    await apply([
      { name: 'inner/', type: 'directory' },
      { name: 'inner/go_up', type: 'symlink', linkname: '..' },
      { name: 'inner/go_up/escape', type: 'symlink', linkname: '../victim' },
      { name: 'inner/go_up/escape/newfile', content: 'x' },
      { name: 'loop1', type: 'symlink', linkname: 'loop2' },
      { name: 'loop2', type: 'symlink', linkname: 'loop1' },
    ]);
    expect(await readFile(path.join(target, 'victim/newfile'), 'utf8')).toBe('x');
    await victim.check(target);
  });

  it('T8 a symlink loop in a parent is an error, not a hang', async () => {
    await rejects(
      [
        { name: 'loop1', type: 'symlink', linkname: 'loop2' },
        { name: 'loop2', type: 'symlink', linkname: 'loop1' },
        { name: 'loop1/f', content: 'x' },
      ],
      /too many levels of symbolic links/,
    );
  });
});
