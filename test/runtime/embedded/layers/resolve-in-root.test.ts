/**
 * In-root resolution (securejoin semantics): symlinks followed inside the root, absolute targets
 * restart at the root, `..` clamps at it, loops end in an error. A property test throws random symlink
 * graphs at it: the result never leaves the root and never passes through a symlink.
 */
import { fc, test } from '@fast-check/vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInRoot } from '../../../../src/runtime/embedded/layers/index.js';
import { classifyWhiteout, normalizeEntryName } from '../../../../src/image/layer/entry-name.js';
import { layerLimits } from '../../../../src/image/layer/layer-limits.js';
import { tryLstat } from '../../../../src/runtime/embedded/layers/resolve-in-root.js';
import { scratch } from './helpers/fixtures.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('resolveInRoot', () => {
  it('follows links inside the root', () => {
    const root = path.join(tmp.dir, 'table');
    mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
    symlinkSync('/usr/lib', path.join(root, 'abs'));
    symlinkSync('usr/lib', path.join(root, 'rel'));
    symlinkSync('../../../../..', path.join(root, 'usr/up'));
    symlinkSync('/', path.join(root, 'slash'));
    symlinkSync('self', path.join(root, 'self'));
    const cases: [string, string][] = [
      ['abs/x', 'usr/lib/x'],
      ['rel/x', 'usr/lib/x'],
      ['usr/up/etc/passwd', 'etc/passwd'],
      ['slash/../../etc', 'etc'],
      ['../../../x', 'x'],
      ['missing/../abs', 'usr/lib'],
      ['', ''],
    ];
    for (const [input, want] of cases) expect(resolveInRoot(root, input), input).toBe(want);
    expect(() => resolveInRoot(root, 'self/x')).toThrow(/too many levels of symbolic links/);
  });

  const name = fc.constantFrom('a', 'b', 'c', '..', '.');
  const relPath = fc.array(name, { minLength: 0, maxLength: 5 }).map((parts) => parts.join('/'));
  const target = fc.tuple(fc.boolean(), relPath).map(([abs, rel]) => (abs ? `/${rel}` : rel));
  let graph = 0;

  test.prop([fc.array(fc.tuple(relPath, target), { maxLength: 8 }), relPath], { numRuns: 200 })(
    'never leaves the root and never passes through a symlink',
    (links, query) => {
      const root = path.join(tmp.dir, `graph-${graph++}`);
      mkdirSync(path.join(root, 'a/b'), { recursive: true });
      writeFileSync(path.join(root, 'c'), '');
      for (const [where, to] of links) {
        try {
          symlinkSync(to, path.join(root, path.posix.normalize(`/${where}`)));
        } catch {
          // The place is taken or its parent is not a directory: that link simply does not exist.
        }
      }
      let resolved: string;
      try {
        resolved = resolveInRoot(root, query);
      } catch (error) {
        expect(String(error)).toMatch(/too many levels/);
        return;
      }
      expect(resolved.split('/')).not.toContain('..');
      expect(path.resolve(root, resolved).startsWith(root)).toBe(true);
      const parts = resolved === '' ? [] : resolved.split('/');
      for (let i = 1; i < parts.length; i++)
        expect(tryLstat(path.join(root, ...parts.slice(0, i)))?.isSymbolicLink() ?? false).toBe(false);
    },
  );
});

describe('entry names', () => {
  const limits = layerLimits();
  it.each([
    ['./etc/passwd', 'etc/passwd'],
    ['/etc//passwd/', 'etc/passwd'],
    ['././a/./b', 'a/b'],
    ['./', ''],
    ['a/b/../c', 'a/c'],
  ])('%s normalizes to %s', (input, want) => {
    expect(normalizeEntryName(input, limits)).toBe(want);
  });

  it('classifies whiteouts, opaque markers and AUFS metadata', () => {
    expect(classifyWhiteout('etc/.wh.passwd')).toEqual({ kind: 'whiteout', target: 'etc/passwd' });
    expect(classifyWhiteout('.wh.etc')).toEqual({ kind: 'whiteout', target: 'etc' });
    expect(classifyWhiteout('etc/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'etc' });
    expect(classifyWhiteout('.wh..wh..opq')).toEqual({ kind: 'opaque', dir: '' });
    expect(classifyWhiteout('.wh..wh.plnk')).toEqual({ kind: 'ignored' });
    expect(classifyWhiteout('etc/passwd.wh.x')).toEqual({ kind: 'none' });
  });
});
