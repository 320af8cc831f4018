/**
 * Bundles on a full disk (docs/reliability.md, D4): save says which file did not fit and leaves
 * neither FILE nor FILE.partial, and no tag changed on the engine. kill -9 at each bundle failpoint
 * is tested on both runtimes in test/e2e/migration/crash.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxProject, docker, noDocker, isolatedEnv, run } from './env.js';
import { lacks } from '../needs.js';

/**
 * Every named image on the engine (unnamed ones are nobody's tag), less the helper image devenv makes
 * the first time it copies a volume.
 */
async function namedImages(): Promise<string[]> {
  const listed = await docker(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}}={{.ID}}']);
  return listed.stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('<none>') && !line.startsWith('devenv/empty:'))
    .sort();
}

describe.skipIf(noDocker)('bundles on a full disk', () => {
  const env = isolatedEnv();
  let dir = '';

  beforeAll(async () => {
    dir = busyboxProject('crashy', ['mounts: [{volume: work, target: /work}]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo state > /root/made-inside; echo v > /work/data']);
  }, 300_000);

  describe.skipIf(lacks('root'))('on a full disk', () => {
    const small = mkdtempSync(path.join(os.tmpdir(), 'devenv-full-'));
    afterAll(async () => {
      await execa('umount', [small], { reject: false });
    });

    it('save says which file did not fit and leaves neither FILE nor FILE.partial', async () => {
      mkdirSync(small, { recursive: true });
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', small]);
      const file = path.join(small, 'crashy.tar');
      const before = await namedImages();
      const result = await run(dir, env, ['save', '-o', file]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toContain(`error: no space left on device writing ${file}`);
      expect(result.stderr).toContain('free some space, or write the bundle somewhere else with -o');
      expect(result.stderr).not.toContain('bug');
      expect(readdirSync(small)).toEqual([]);
      expect(await namedImages()).toEqual(before);
    });
  });
});
