/**
 * T16 as an ordinary user: a layer with mode-000 directories and setuid files must still extract
 * (directory modes are applied last) and its result must still be removable by the same user.
 */
import { chmod, chown, lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApplyChild, runApplyChild } from './helpers/child.js';
import { isRoot, scratch } from './helpers/fixtures.js';
import { END, rawEntry } from './helpers/raw-tar.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('extraction as nobody (switching users)', { root: isRoot });

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

describe.skipIf(noRoot)('extraction as a non-root user (needs root to switch to nobody)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let script: string;
  let cleanupScript: () => Promise<void>;
  let layer: string;
  let home: string;
  beforeAll(async () => {
    tmp = await scratch();
    ({ script, cleanup: cleanupScript } = await buildApplyChild());
    await chmod(tmp.dir, 0o755);
    home = path.join(tmp.dir, 'nobody');
    await mkdir(home);
    await chown(home, 65534, 65534);
    layer = path.join(tmp.dir, 'layer.tar');
    const data = Buffer.concat([
      rawEntry({ name: 'locked/', typeflag: '5', mode: 0 }),
      rawEntry({ name: 'locked/inner/', typeflag: '5', mode: 0 }),
      rawEntry({ name: 'locked/inner/f', typeflag: '0', mode: 0 }, 'secret'),
      rawEntry({ name: 'bin/su', typeflag: '0', mode: 0o4755 }, 'su'),
      rawEntry({ name: 'tmp/', typeflag: '5', mode: 0o1777 }),
      END,
    ]);
    await writeFile(layer, data);
    await chmod(layer, 0o644);
  }, 60_000);
  afterAll(async () => {
    await tmp.cleanup();
    await cleanupScript();
  });

  it('extracts mode-000 directories with their children and keeps special bits', async () => {
    const target = path.join(home, 'layer');
    const result = await runApplyChild(script, [layer, target], {}, NOBODY);
    expect(result.exitCode, result.stderr).toBe(0);
    const mode = async (rel: string) => ((await lstat(path.join(target, rel))).mode & 0o7777).toString(8);
    expect(await mode('locked')).toBe('0');
    expect(await mode('locked/inner')).toBe('0');
    expect(await readFile(path.join(target, 'locked/inner/f'), 'utf8')).toBe('secret');
    expect(await mode('bin/su')).toBe('4755');
    expect(await mode('tmp')).toBe('1777');
    expect((await lstat(path.join(target, 'bin/su'))).uid).toBe(65534);
  });

  it('removes what it extracted', async () => {
    const target = path.join(home, 'removed');
    const result = await runApplyChild(script, [layer, target], { APPLY_CHILD_REMOVE: '1' }, NOBODY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await lstat(target).catch(() => undefined)).toBeUndefined();
  });
});
