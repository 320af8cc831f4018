/**
 * The temporary overlay mounts: options per docs/embedded-runtime.md#overlay-mounts, the probe that chooses between overlay
 * and flatten mode, and a clear error when a mount fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyLayer,
  overlayOptions,
  overlaySupported,
} from '../../../../src/runtime/embedded/layers/index.js';
import { expectNothingLeft } from './helpers/breakout.js';
import { isRoot, makeTar, opener, scratch } from './helpers/fixtures.js';
import { skipUnless } from '../../../helpers/requirements.js';

const noRoot = skipUnless('overlay mounts', { root: isRoot });

let tmp: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  tmp = await scratch();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('overlayOptions', () => {
  it('turns off redirect_dir and metacopy, index only where the kernel knows it, and shortens paths', () => {
    const options = overlayOptions(
      {
        lowers: ['/s/layers/b/diff', '/s/layers/a/diff'],
        upper: '/s/layers/c.tmp-1/diff',
        work: '/s/layers/c.tmp-1/work',
        target: '/m',
      },
      '/s/layers',
    );
    const index = existsSync('/sys/module/overlay/parameters/index') ? 'index=off,' : '';
    expect(options).toBe(
      `${index}redirect_dir=off,metacopy=off,lowerdir=b/diff:a/diff,upperdir=c.tmp-1/diff,workdir=c.tmp-1/work`,
    );
  });

  it('refuses paths that would break the option string', () => {
    expect(() => overlayOptions({ lowers: ['/a:b'], target: '/m' })).toThrow(/contains , : or/);
    expect(() => overlayOptions({ lowers: ['/a,upperdir=/etc'], target: '/m' })).toThrow(/contains , : or/);
  });
});

describe('overlaySupported', () => {
  it.skipIf(noRoot)('is true on this machine’s temp filesystem (needs root)', async () => {
    expect(await overlaySupported(tmp.dir)).toBe(true);
  });

  it('is false where no overlay can be built', async () => {
    expect(await overlaySupported('/proc')).toBe(false);
    expect(await overlaySupported(path.join(tmp.dir, 'missing'))).toBe(false);
  });
});

describe.skipIf(noRoot)('a failing mount (needs root)', () => {
  it('is a clear error with mount’s own message, and leaves nothing', async () => {
    const target = path.join(tmp.dir, 'child');
    const open = opener(await makeTar([{ name: 'f', content: 'x' }]));
    await expect(
      applyLayer({ open, target, parents: [path.join(tmp.dir, 'no-such-parent')] }),
    ).rejects.toMatchObject({
      code: 'DEVENV_RUNTIME_FAILED',
      message: /mounting a temporary overlay failed .*mount/s,
    });
    await expectNothingLeft(target);
  });
});
