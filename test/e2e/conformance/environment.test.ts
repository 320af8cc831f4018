/**
 * One environment's life, written once and run on every runtime: up -d, exec (mount, env, user),
 * stop and up with files kept, a run-settings change that recreates keeping files, exit statuses,
 * rm -f, and a save/load round trip. The next issues add scenarios here as the embedded runtime
 * learns to build and run containers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeProject } from '../../helpers/project.js';
import { forEachRuntime } from './runtimes.js';
import type { RuntimeUnderTest, RuntimeUser } from './runtimes.js';

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

async function ok(user: RuntimeUser, dir: string, args: readonly string[]): Promise<string> {
  const result = await user.run(dir, args);
  expect(result.exitCode, `devenv ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function state(user: RuntimeUser, dir: string): Promise<string> {
  return (JSON.parse(await ok(user, dir, ['status', '--json'])) as { state: string }).state;
}

forEachRuntime('an environment', ['build', 'containers'], (runtime) => {
  const name = (what: string) => `conf-${runtime.name}-${what}`;

  it('up -d creates and runs it; exec sees the project mount, the env and the user', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('up'), ['user: {name: dev, uid: 1000}']);
    const up = await user.run(dir, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain(`${name('up')} is up (created)`);
    expect(await state(user, dir)).toBe('running');
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
    expect(await state(user, dir)).toBe('exited');
    const again = await user.run(dir, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${name('restart')} is up (started)`);
    expect(await ok(user, dir, ['exec', '--', 'cat', '/root/notes'])).toBe('kept');
    await ok(user, dir, ['rm', '-f']);
  });

  it('a run-settings change recreates it and keeps its files', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('drift'));
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo layer > /root/in-layer']);
    const file = path.join(dir, 'devenv.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('GREETING: hello', 'GREETING: changed'));
    const drift = await user.run(dir, ['up', '-d']);
    expect(drift.exitCode, drift.stderr).toBe(0);
    expect(drift.stderr).toContain(`run settings of ${name('drift')} changed: env (GREETING)`);
    expect(drift.stderr).not.toContain('building');
    expect(await ok(user, dir, ['exec', '--', 'sh', '-c', 'echo "$GREETING"; cat /root/in-layer'])).toBe(
      'changed\nlayer',
    );
    await ok(user, dir, ['rm', '-f']);
  });

  it("exec passes the command's exit status through", async () => {
    const user = runtime.user();
    const dir = project(runtime, name('status'));
    await ok(user, dir, ['up', '-d']);
    const failing = await user.run(dir, ['exec', '--', 'sh', '-c', 'echo to-stderr >&2; exit 42']);
    expect(failing.exitCode).toBe(42);
    expect(failing.stderr).toContain('to-stderr');
    expect((await user.run(dir, ['exec', '--', 'true'])).exitCode).toBe(0);
    await ok(user, dir, ['rm', '-f']);
  });

  it('rm -f removes a running environment', async () => {
    const user = runtime.user();
    const dir = project(runtime, name('rm'));
    await ok(user, dir, ['up', '-d']);
    await ok(user, dir, ['rm', '-f']);
    expect(await state(user, dir)).toBe('not created');
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
