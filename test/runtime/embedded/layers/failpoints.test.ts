/**
 * Crash safety (docs/reliability.md, rule 12, C1): a child process killed with SIGKILL at each layer
 * failpoint leaves nothing under the final name, its private overlay mount disappears with it, the
 * leftover temp directory is found and removed by removeLayerTemps, and a rerun succeeds.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyLayer,
  FAILPOINT_BEFORE_RENAME,
  FAILPOINT_MID_EXTRACT,
  removeLayerTemps,
} from '../../../../src/runtime/embedded/layers/index.js';
import { buildApplyChild, runApplyChild } from './helpers/child.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('layer failpoints (overlayfs mounts)', { root: isRoot });

describe.skipIf(noRoot)('failpoints (needs root for the overlay of a child layer)', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let script: string;
  let cleanupScript: () => Promise<void>;
  let base: string;
  let layer: string;
  beforeAll(async () => {
    tmp = await scratch();
    ({ script, cleanup: cleanupScript } = await buildApplyChild());
    base = path.join(tmp.dir, 'base');
    await applyLayer({ open: opener(await makeTar([{ name: 'etc/old', content: 'old' }])), target: base });
    layer = path.join(tmp.dir, 'layer.tar');
    const entries = [
      { name: 'etc/.wh.old', content: '' },
      ...Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: `${i}` })),
    ];
    await writeFile(layer, await makeTar(entries));
  }, 60_000);
  afterAll(async () => {
    await tmp.cleanup();
    await cleanupScript();
  });

  it.each([FAILPOINT_MID_EXTRACT, FAILPOINT_BEFORE_RENAME])('kill at %s, then rerun', async (name) => {
    const target = path.join(tmp.dir, `child-${name}`);
    const args = [layer, target, JSON.stringify([base])];
    const killed = await runApplyChild(script, args, { DEVENV_FAILPOINTS: `${name}:kill` });
    expect(killed.signal).toBe('SIGKILL');
    const siblings = await readdir(tmp.dir);
    expect(siblings).not.toContain(path.basename(target));
    expect(siblings.some((entry) => entry.startsWith(`${path.basename(target)}.tmp-`))).toBe(true);
    expect(await mountedAnywhere(target)).toBe(false);
    expect(await removeLayerTemps(target)).toHaveLength(1);
    expect((await readdir(tmp.dir)).filter((entry) => entry.startsWith(path.basename(target)))).toEqual([]);

    const rerun = await runApplyChild(script, args);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ entries: 51 });
    expect((await readdir(target)).length).toBe(51);
  });

  it('a thrown failpoint (ENOSPC) removes the partial layer', async () => {
    const target = path.join(tmp.dir, 'child-enospc');
    const failed = await runApplyChild(script, [layer, target, JSON.stringify([base])], {
      DEVENV_FAILPOINTS: `${FAILPOINT_MID_EXTRACT}:throw=ENOSPC`,
    });
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain('ENOSPC');
    expect((await readdir(tmp.dir)).filter((entry) => entry.startsWith('child-enospc'))).toEqual([]);
  });
});

/** Whether any process on the machine still sees a mount under `prefix` (polls up to 15 s: the helper shell exits on EOF). */
async function mountedAnywhere(prefix: string): Promise<boolean> {
  for (let attempt = 0; attempt < 150; attempt++) {
    let found = false;
    for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const info = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
      if (info.includes(prefix)) found = true;
    }
    if (!found) return false;
    await sleep(100);
  }
  return true;
}
