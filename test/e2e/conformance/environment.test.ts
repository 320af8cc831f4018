/**
 * One environment's life, written once and run on every runtime: up -d, exec (mount, env, user),
 * stop and up with files kept, rm -f, and a save/load round trip. The other files of this folder
 * take one theme each (sessions, exec, volumes, drift, lifecycle, devices, network, survival).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUnderTest } from './runtimes.js';
import { ok, statusOf } from './scenario.js';

/** A project on the runtime's base, with a file to see through the project mount. */
function project(
  runtime: RuntimeUnderTest,
  name: string,
  lines: readonly string[] = [],
  mounts = '".:/src"',
): string {
  return makeProject({
    'devenv.yml': [
      `name: ${name}`,
      `base: ${runtime.base}`,
      'network: none',
      `mounts: [${mounts}]`,
      'env: {GREETING: hello}',
      ...lines,
      '',
    ].join('\n'),
    'from-host.txt': 'host says hi\n',
  });
}

forEachRuntime('an environment', ['build', 'containers'], (runtime) => {
  const name = (what: string) => `conf-${runtime.name}-${what}`;

  it('up -d creates and runs it; exec sees the project mount, the env and the user', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('up'), ['user: {name: dev, uid: 1000}']);
    const up = await user.run(dir, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain(`${name('up')} is up (created)`);
    expect((await statusOf(user, dir)).state).toBe('running');
    const inside = await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'cat /src/from-host.txt; echo "$GREETING"; id -u; id -un',
    ]);
    expect(inside.split('\n')).toEqual(['host says hi', 'hello', '1000', 'dev']);
    await ok(user, dir, ['rm', '-f']);
  });

  it('stop, then up starts the same container with its files kept', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('restart'));
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo kept > /root/notes']);
    await ok(user, dir, ['stop']);
    expect((await statusOf(user, dir)).state).toBe('exited');
    const again = await user.run(dir, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${name('restart')} is up (started)`);
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/notes'])).toBe('kept');
    await ok(user, dir, ['rm', '-f']);
  });

  it('rm -f removes a running environment', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('rm'));
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['rm', '-f']);
    expect((await statusOf(user, dir)).state).toBe('not created');
    const listed = JSON.parse(await ok(user, dir, ['ls', '--json'])) as { name: string }[];
    expect(listed.map((e) => e.name)).not.toContain(name('rm'));
  });

  it('save, rm --volumes and load bring back the files, the volume and the config', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('bundle'), [], '".:/src", {volume: work, target: /work}');
    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'devenv-conf-')), 'env.tar');
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, [
      'exec',
      '--',
      'sh',
      '-c',
      'echo state > /root/made-inside; echo volume > /work/data',
    ]);
    await ok(user, dir, ['save', '-o', bundle]);
    await ok(user, dir, ['rm', '-f', '--volumes']);
    const elsewhere = makeProject({});
    await ok(user, elsewhere, ['load', bundle]);
    expect(readFileSync(path.join(elsewhere, 'devenv.yml'), 'utf8')).toBe(
      readFileSync(path.join(dir, 'devenv.yml'), 'utf8'),
    );
    const up = await user.run(elsewhere, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('building');
    expect(
      await ok(user, elsewhere, [
        'exec',
        '--',
        'sh',
        '-c',
        'cat /root/made-inside /work/data; echo "$GREETING"',
      ]),
    ).toBe('state\nvolume\nhello');
    await ok(user, elsewhere, ['rm', '-f', '--volumes']);
  });
});
