/**
 * Bundles under faults (docs/reliability.md, C3, C4, D4): kill -9 at each bundle failpoint, then a
 * rerun that finishes, and a full disk while saving. Afterwards no FILE exists under its final name
 * (at most FILE.partial, which the rerun replaces), no tag changed on the engine, and a killed load
 * left no environment behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
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

/** Runs the CLI with a failpoint and reports how it ended, signal included. */
async function runWithFailpoint(cwd: string, env: Record<string, string>, args: string[], failpoint: string) {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...env, NO_COLOR: '1', DEVENV_FAILPOINTS: failpoint },
    extendEnv: false,
    reject: false,
    timeout: 240_000,
  });
  return { signal: result.signal, exitCode: result.exitCode, stderr: result.stderr };
}

describe.skipIf(noDocker)('bundles: kill -9 at every bundle failpoint, and a full disk', () => {
  const env = isolatedEnv();
  let dir = '';
  let bundle = '';
  let bundleId = '';

  beforeAll(async () => {
    dir = busyboxProject('crashy', ['mounts: [{volume: work, target: /work}]']);
    expect((await run(dir, env, ['up', '-d'])).exitCode).toBe(0);
    await run(dir, env, ['exec', '--', 'sh', '-c', 'echo state > /root/made-inside; echo v > /work/data']);
  }, 300_000);

  it.each(['bundle.save.after-commit:kill', 'bundle.save.mid-write:kill'])(
    'save killed at %s: no FILE, no new tag; a rerun writes FILE',
    async (failpoint) => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'devenv-crash-save-'));
      const file = path.join(out, 'crashy.tar');
      const before = await namedImages();
      const killed = await runWithFailpoint(dir, env, ['save', '-o', file], failpoint);
      expect(killed.signal, `exit ${killed.exitCode}: ${killed.stderr}`).toBe('SIGKILL');
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(out).every((name) => name === 'crashy.tar.partial')).toBe(true);
      expect(await namedImages()).toEqual(before);

      const rerun = await run(dir, env, ['save', '-o', file, '--json']);
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect(readdirSync(out)).toEqual(['crashy.tar']);
      expect(await namedImages()).toEqual(before);
      bundle = file;
      bundleId = (JSON.parse(rerun.stdout) as { image: { id: string } }).image.id;
    },
  );

  it('load killed after the image arrived: no tag, no environment; a rerun restores it', async () => {
    expect(bundle).not.toBe('');
    const target = makeProject({});
    const before = await namedImages();
    const killed = await runWithFailpoint(
      target,
      env,
      ['load', '--name', 'crashy2', bundle],
      'bundle.load.after-image:kill',
    );
    expect(killed.signal, `exit ${killed.exitCode}: ${killed.stderr}`).toBe('SIGKILL');
    expect(await namedImages()).toEqual(before);
    expect((await docker(['ps', '-a', '-q', '--filter', 'name=crashy2'])).stdout).toBe('');
    expect((await docker(['volume', 'ls', '-q', '--filter', 'name=devenv-crashy2-'])).stdout).toBe('');
    expect(existsSync(path.join(target, 'devenv.yml'))).toBe(false);

    const rerun = await run(target, env, ['load', '--name', 'crashy2', bundle]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(await namedImages()).toEqual([...before, `devenv/crashy2:latest=${bundleId}`].sort());
    // The devenv.yml written under --name names the new environment, so up drives it.
    expect(readFileSync(path.join(target, 'devenv.yml'), 'utf8')).toMatch(/^name: crashy2$/m);
    const upped = await run(target, env, ['up', '-d']);
    expect(upped.stderr).toContain('crashy2 is');
    const started = await run(target, env, ['start', 'crashy2']);
    expect(started.exitCode, started.stderr).toBe(0);
    const inside = await run(target, env, [
      'exec',
      'crashy2',
      '--',
      'cat',
      '/root/made-inside',
      '/work/data',
    ]);
    expect(inside.stdout).toBe('state\nv');
  });

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
