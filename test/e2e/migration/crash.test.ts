/**
 * kill -9 at each bundle failpoint, on both runtimes. A killed `save` leaves no FILE under its final
 * name (at most FILE.partial, which the rerun replaces) and no new tag. A killed `load` leaves no tag
 * and no container; a volume it was filling may stay until the rerun, which replaces it with the
 * bundle's contents, finishes, and brings the environment up.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { makeProject } from '../../helpers/project.js';
import { forEachRuntime } from '../conformance/runtimes.js';
import type { RuntimeUser } from '../conformance/runtimes.js';
import { ok, projectOn } from '../conformance/scenario.js';
import { cleanupSandboxes } from '../embedded/env.js';
import { expectStoreClean, tracesOf } from './traces.js';

afterAll(() => {
  cleanupSandboxes();
});

/** Runs the CLI as `user` with a failpoint and reports how it ended, signal included. */
async function runWithFailpoint(user: RuntimeUser, cwd: string, args: string[], failpoint: string) {
  const result = await execa(process.execPath, [CLI, ...user.globals, ...args], {
    cwd,
    env: { ...user.env, NO_COLOR: '1', DEVENV_FAILPOINTS: failpoint },
    extendEnv: false,
    reject: false,
    timeout: 280_000,
  });
  return { signal: result.signal, exitCode: result.exitCode, stderr: result.stderr };
}

/**
 * The tagged images (an untagged one is nobody's name, and prune takes it), less the helper image
 * Docker's runtime makes the first time it copies a volume.
 */
function taggedOf(images: string[]): string[] {
  return images.filter((line) => !line.endsWith(' ') && !line.includes(' devenv/empty:'));
}

async function tagged(user: RuntimeUser, cwd: string): Promise<string[]> {
  return taggedOf((await tracesOf(user, cwd)).images);
}

forEachRuntime('bundles under kill -9', ['containers'], (runtime) => {
  let user: RuntimeUser;
  let dir = '';
  let bundle = '';
  const name = `crashy-${runtime.name}`;

  beforeAll(async () => {
    user = runtime.user();
    dir = projectOn(runtime, name, [
      'mounts: [{volume: work, target: /work}, {volume: more, target: /more}]',
    ]);
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo state > /root/made-inside; echo v > /work/data; echo m > /more/data',
    ]);
  }, 600_000);

  it.each(['bundle.save.after-commit:kill', 'bundle.save.mid-write:kill'])(
    'save killed at %s: no FILE, no new tag; a rerun writes FILE',
    async (failpoint) => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'devenv-crash-save-'));
      const file = path.join(out, `${name}.tar`);
      const before = await tagged(user, dir);
      const killed = await runWithFailpoint(user, dir, ['save', '-o', file], failpoint);
      expect(killed.signal, `exit ${killed.exitCode}: ${killed.stderr}`).toBe('SIGKILL');
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(out).every((entry) => entry === `${name}.tar.partial`)).toBe(true);
      expect(await tagged(user, dir)).toEqual(before);

      await ok(user, dir, ['save', '-o', file]);
      expect(readdirSync(out)).toEqual([`${name}.tar`]);
      expect(await tagged(user, dir)).toEqual(before);
      bundle = file;
    },
  );

  it.each(['bundle.load.after-image:kill', 'bundle.load.mid-volumes:kill'])(
    'load killed at %s: no tag, no container; a rerun restores it whole',
    async (failpoint) => {
      expect(bundle).not.toBe('');
      const copy = `${name}-${failpoint.includes('image') ? 'a' : 'b'}`;
      const target = makeProject({});
      const before = await tracesOf(user, target);
      const killed = await runWithFailpoint(user, target, ['load', '--name', copy, bundle], failpoint);
      expect(killed.signal, `exit ${killed.exitCode}: ${killed.stderr}`).toBe('SIGKILL');
      const after = await tracesOf(user, target);
      expect(taggedOf(after.images)).toEqual(taggedOf(before.images));
      expect(after.containers).toEqual(before.containers);
      expect(existsSync(path.join(target, 'devenv.yml'))).toBe(false);
      if (failpoint.includes('after-image')) expect(after.volumes).toEqual(before.volumes);

      const rerun = await user.run(target, ['load', '--name', copy, bundle]);
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect(rerun.stderr).not.toContain('keeping its contents');
      expect(readFileSync(path.join(target, 'devenv.yml'), 'utf8')).toMatch(
        new RegExp(`^name: ${copy}$`, 'm'),
      );
      await ok(user, target, ['up', '-d']);
      const inside = await ok(user, target, [
        'exec',
        '--',
        'cat',
        '/root/made-inside',
        '/work/data',
        '/more/data',
      ]);
      expect(inside).toBe('state\nv\nm');
      await ok(user, target, ['rm', '-f', '--volumes']);
      await expectStoreClean(user, target);
    },
  );
});
