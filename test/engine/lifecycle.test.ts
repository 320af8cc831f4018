/** start, stop, restart, ls and rm of environments on the in-memory runtime. */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import {
  listEnvironments,
  restartEnvironment,
  startEnvironment,
  stopEnvironment,
} from '../../src/engine/lifecycle.js';
import { removeEnvironment } from '../../src/engine/remove.js';
import { up } from '../../src/engine/up.js';
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';

afterEach(cleanupFixtures);

async function upDetached(f: EngineFixture): Promise<void> {
  await up(f.context(), f.project, UP_DETACHED);
}

/** The runtime calls `action` made. */
async function callsOf(f: EngineFixture, action: () => Promise<unknown>): Promise<string[]> {
  const before = f.runtime.calls.length;
  await action();
  return f.runtime.methods().slice(before);
}

const spec = (f: EngineFixture) => ({ spec: f.project.plan.run, stateDir: f.project.stateDir });

describe('lifecycle on the in-memory runtime', () => {
  it('stop stops a running environment and does nothing to a stopped one', async () => {
    const f = await engineFixture('stop');
    await upDetached(f);
    expect(await callsOf(f, () => stopEnvironment(f.context(), 'stop', 3))).toContain('stopContainer');
    expect(f.runtime.calls.at(-1)?.args).toEqual(['stop', 3]);
    expect((await f.runtime.inspectContainer('stop'))?.state).toBe('exited');
    expect(await callsOf(f, () => stopEnvironment(f.context(), 'stop'))).not.toContain('stopContainer');
  });

  it('start starts a stopped environment (with its start hooks) and leaves a running one alone', async () => {
    const f = await engineFixture('start', ['hooks: {start: ["echo hi"]}']);
    await upDetached(f);
    await stopEnvironment(f.context(), 'start');
    const started = await callsOf(f, () => startEnvironment(f.context(), 'start', spec(f)));
    expect(started).toEqual(expect.arrayContaining(['startContainer', 'exec']));
    expect((await f.runtime.inspectContainer('start'))?.state).toBe('running');
    const again = await callsOf(f, () => startEnvironment(f.context(), 'start', spec(f)));
    expect(again).not.toContain('startContainer');
    expect(again).not.toContain('exec');
  });

  it('restart stops and starts under one lock', async () => {
    const f = await engineFixture('restart');
    await upDetached(f);
    const calls = await callsOf(f, () => restartEnvironment(f.context(), 'restart', undefined));
    expect(calls.filter((m) => m === 'stopContainer' || m === 'startContainer')).toEqual([
      'stopContainer',
      'startContainer',
    ]);
  });

  it('start, stop and restart of an environment that does not exist say so', async () => {
    const f = await engineFixture('absent');
    for (const action of [
      () => startEnvironment(f.context(), 'absent', undefined),
      () => stopEnvironment(f.context(), 'absent'),
      () => restartEnvironment(f.context(), 'absent', undefined),
    ]) {
      const error = await action().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DevenvError);
      expect((error as DevenvError).message).toBe('there is no environment named absent');
    }
  });

  it('ls lists the environments devenv made, sorted by name', async () => {
    const b = await engineFixture('b-env');
    const a = await engineFixture('a-env', [], {}, b.runtime);
    await upDetached(b);
    await upDetached(a);
    b.runtime.addImage('other:1');
    await b.runtime.createContainer(
      { ...b.project.plan.run, name: 'not-ours', image: 'other:1', labels: {} },
      undefined,
    );
    const listed = await listEnvironments(b.context());
    expect(listed.map((e) => [e.name, e.state, e.project])).toEqual([
      ['a-env', 'running', a.dir],
      ['b-env', 'running', b.dir],
    ]);
  });

  it('rm refuses a running environment without force and removes nothing', async () => {
    const f = await engineFixture('rm-running');
    await upDetached(f);
    const before = f.runtime.calls.length;
    const error = await removeEnvironment(f.context(), 'rm-running', { force: false, volumes: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'DEVENV_BUSY', message: 'rm-running is running' });
    expect(f.runtime.methods().slice(before)).not.toContain('removeContainer');
    expect(await f.runtime.inspectContainer('rm-running')).toBeDefined();
  });

  it('rm -f removes the container and keeps volumes; --volumes removes volumes, images and state', async () => {
    const f = await engineFixture('rm-all', ['mounts: [{volume: cache, target: /cache}]']);
    await upDetached(f);
    const plainRm = await removeEnvironment(f.context(), 'rm-all', { force: true, volumes: false });
    expect(plainRm).toEqual({ container: true, volumes: [], images: [], stateFolder: false });
    expect(await f.runtime.inspectContainer('rm-all')).toBeUndefined();
    expect((await f.runtime.listVolumes()).map((v) => v.name)).toEqual(['devenv-rm-all-cache']);
    expect(existsSync(f.project.stateDir)).toBe(true);
    const all = await removeEnvironment(f.context(), 'rm-all', { force: false, volumes: true });
    expect(all).toMatchObject({ container: false, volumes: ['devenv-rm-all-cache'], stateFolder: true });
    expect(all.images).toContain('devenv/rm-all:latest');
    expect(await f.runtime.listVolumes()).toEqual([]);
    expect(await f.runtime.inspectImage('devenv/rm-all:latest')).toBeUndefined();
    expect(existsSync(f.project.stateDir)).toBe(false);
  });
});
