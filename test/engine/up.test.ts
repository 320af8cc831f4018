/**
 * Every decision of `up` on the in-memory runtime: what it answers, and which runtime calls it made
 * (and did not make) to get there.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevenvError, EXIT_FAILURE } from '../../src/errors.js';
import { envLockFile } from '../../src/engine/env-lock.js';
import { HOOK_MARKER_PREFIX } from '../../src/engine/host-files.js';
import { up } from '../../src/engine/up.js';
import { acquireLock } from '../../src/util/lock.js';
import { leftHotPath } from '../../src/util/hot-path.js';
import type { UpOptions } from '../../src/engine/up.js';
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';
import { MemoryRuntime } from '../helpers/memory-runtime.js';

afterEach(cleanupFixtures);

const detached = UP_DETACHED;

/** Runs `up` and returns its result with the runtime calls it made. */
async function upOnce(
  f: EngineFixture,
  options: Partial<UpOptions> = {},
  interactive = false,
  answer = false,
) {
  const before = f.runtime.calls.length;
  const result = await up(f.context({ interactive, answer }), f.project, { ...detached, ...options });
  return { result, methods: f.runtime.methods().slice(before) };
}

/** Runs `up` expecting it to fail; returns the error and the runtime calls it made. */
async function upFails(
  f: EngineFixture,
  options: Partial<UpOptions> = {},
  interactive = false,
  answer = false,
) {
  const before = f.runtime.calls.length;
  const error = await up(f.context({ interactive, answer }), f.project, { ...detached, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  return { error: error as DevenvError, methods: f.runtime.methods().slice(before) };
}

const CHANGES = ['removeContainer', 'stopContainer', 'createContainer', 'commit', 'startContainer'] as const;

describe('up on the in-memory runtime', () => {
  it('creates, builds and starts the environment when there is no container', async () => {
    const f = await engineFixture('fresh');
    const { result, methods } = await upOnce(f);
    expect(result).toMatchObject({ name: 'fresh', action: 'created', built: true, attached: false });
    expect(methods).toEqual(expect.arrayContaining(['buildImage', 'createContainer', 'startContainer']));
    expect(methods).not.toContain('removeContainer');
    const container = await f.runtime.inspectContainer('fresh');
    expect(container?.state).toBe('running');
    expect(container?.id).toBe(result.container);
    expect(container?.labels['dev.devenv.project']).toBe(f.dir);
    expect(container?.labels['dev.devenv.run']).toBe(f.project.plan.digests.run);
    expect(container?.labels['dev.devenv.runtime']).toBe('docker');
  });

  it('starts a stopped container with the same image and run settings, without building', async () => {
    const f = await engineFixture('stopped');
    const first = await upOnce(f);
    f.runtime.writeFile('stopped', '/root/notes', 'kept');
    await f.runtime.stopContainer('stopped');
    const { result, methods } = await upOnce(f);
    expect(result).toMatchObject({ action: 'started', built: false, container: first.result.container });
    expect(methods).toContain('startContainer');
    expect(methods).not.toContain('buildImage');
    for (const change of CHANGES.filter((c) => c !== 'startContainer')) expect(methods).not.toContain(change);
    expect(f.runtime.readFile('stopped', '/root/notes')).toBe('kept');
  });

  it('leaves a running container as it is', async () => {
    const f = await engineFixture('running');
    const first = await upOnce(f);
    const { result, methods } = await upOnce(f);
    expect(result).toMatchObject({ action: 'running', built: false, container: first.result.container });
    for (const change of CHANGES) expect(methods).not.toContain(change);
  });

  it('recreates on changed run settings, keeping the container files through a commit', async () => {
    const f = await engineFixture('run-drift');
    const first = await upOnce(f);
    f.runtime.writeFile('run-drift', '/root/in-layer', 'layer');
    await f.edit(['env: {NEW_VAR: one}']);
    const { result, methods } = await upOnce(f);
    expect(result.action).toBe('recreated-keeping-state');
    expect(result.built).toBe(false);
    expect(result.container).not.toBe(first.result.container);
    expect(methods).not.toContain('buildImage');
    const order = ['commit', 'stopContainer', 'removeContainer', 'createContainer', 'startContainer'];
    expect(methods.filter((m) => order.includes(m))).toEqual(order);
    const commit = f.runtime.calls.find((c) => c.method === 'commit');
    expect(commit?.args[1]).toMatchObject({ tag: 'devenv/run-drift:state' });
    const created = f.runtime.calls.filter((c) => c.method === 'createContainer').at(-1);
    expect(created?.args[0]).toMatchObject({ image: 'devenv/run-drift:state', env: { NEW_VAR: 'one' } });
    expect(f.runtime.readFile('run-drift', '/root/in-layer')).toBe('layer');
    expect(f.messages('info')).toContain(
      'run settings of run-drift changed: env (+ NEW_VAR); recreating it and keeping its files',
    );
    const container = await f.runtime.inspectContainer('run-drift');
    expect(container?.labels['dev.devenv.run']).toBe(f.project.plan.digests.run);
    // The environment's image still names the container's base, so the next up sees no drift.
    expect((await upOnce(f)).result.action).toBe('running');
  });

  it('on a runtime that keeps files on recreate, run drift moves the writable layer with no commit', async () => {
    const f = await engineFixture('run-drift-free', [], {}, new MemoryRuntime({ keepsFiles: true }));
    await upOnce(f);
    f.runtime.writeFile('run-drift-free', '/root/in-layer', 'layer');
    await f.edit(['env: {NEW_VAR: one}']);
    const { result, methods } = await upOnce(f);
    expect(result.action).toBe('recreated-keeping-state');
    expect(methods).not.toContain('commit');
    expect(methods).toContain('recreateKeepingFiles');
    const call = f.runtime.calls.find((c) => c.method === 'recreateKeepingFiles');
    const first = f.runtime.calls.find((c) => c.method === 'createContainer');
    // The new container sits on the very image the old one used (by its name, which still means
    // that image), not on a :state commit.
    expect(call?.args[1]).toMatchObject({ env: { NEW_VAR: 'one' }, image: 'devenv/run-drift-free:latest' });
    expect(first?.args[0]).toMatchObject({ image: 'devenv/run-drift-free:latest' });
    expect(f.runtime.readFile('run-drift-free', '/root/in-layer')).toBe('layer');
    expect((await upOnce(f)).result.action).toBe('running');
  });

  it('a variable that leaves devenv.yml is set empty in the recreated container, and named', async () => {
    const f = await engineFixture('env-gone', ['env: {OLD_VAR: x}']);
    await upOnce(f);
    await f.edit([]);
    const { result } = await upOnce(f);
    expect(result.action).toBe('recreated-keeping-state');
    const created = f.runtime.calls.filter((c) => c.method === 'createContainer').at(-1);
    expect(created?.args[0]).toMatchObject({ env: { OLD_VAR: '' } });
    expect(f.messages('info').join('\n')).toContain('OLD_VAR left devenv.yml');
  });

  describe('when the image changed', () => {
    async function drifted(name: string): Promise<{ f: EngineFixture; id: string }> {
      const f = await engineFixture(name);
      const { result } = await upOnce(f);
      f.runtime.writeFile(name, '/root/in-layer', 'layer');
      await f.edit(['steps: [{run: "touch /built"}]']);
      return { f, id: result.container };
    }

    it('without a terminal and without -y, refuses and changes nothing, naming -y and --keep-state', async () => {
      const { f, id } = await drifted('refuse');
      const { error, methods } = await upFails(f);
      expect(error.code).toBe('DEVENV_ABORTED');
      expect(error.message).toContain('there is no terminal to ask; nothing was changed');
      expect(error.hint).toContain('devenv up -y');
      expect(error.hint).toContain('devenv up --keep-state');
      for (const change of CHANGES) expect(methods).not.toContain(change);
      expect((await f.runtime.inspectContainer('refuse'))?.id).toBe(id);
      expect(f.runtime.readFile('refuse', '/root/in-layer')).toBe('layer');
      expect(f.questions).toEqual([]);
    });

    it('with -y, recreates from the new image and the old files are gone', async () => {
      const { f, id } = await drifted('yes');
      const { result, methods } = await upOnce(f, { yes: true });
      expect(result).toMatchObject({ action: 'recreated', built: true });
      expect(result.container).not.toBe(id);
      expect(methods).not.toContain('commit');
      expect(methods).toContain('removeContainer');
      const created = f.runtime.calls.filter((c) => c.method === 'createContainer').at(-1);
      expect(created?.args[0]).toMatchObject({ image: 'devenv/yes:latest' });
      expect(f.runtime.readFile('yes', '/root/in-layer')).toBeUndefined();
      expect(f.messages('warning').join('\n')).toContain(
        'the image changed, so recreating yes: changes made in the container outside named volumes and mounts will be lost',
      );
      expect((await f.runtime.inspectContainer('yes'))?.imageId).toBe(result.image);
    });

    it('with --keep-state, keeps the old container and says it runs the previous image', async () => {
      const { f, id } = await drifted('keep');
      const { result, methods } = await upOnce(f, { keepState: true });
      expect(result).toMatchObject({ action: 'kept-old-image', built: true, container: id });
      for (const change of CHANGES) expect(methods).not.toContain(change);
      expect(f.messages('warning')).toContain(
        'the image of keep changed; --keep-state keeps the old container, which still runs the previous image',
      );
      expect(f.runtime.readFile('keep', '/root/in-layer')).toBe('layer');
    });

    it('in a terminal, asks; yes recreates', async () => {
      const { f } = await drifted('ask-yes');
      const { result } = await upOnce(f, {}, true, true);
      expect(result.action).toBe('recreated');
      expect(f.questions).toEqual(['Recreate ask-yes and discard those changes?']);
    });

    it('in a terminal, asks; no changes nothing and points at --keep-state', async () => {
      const { f, id } = await drifted('ask-no');
      const { error, methods } = await upFails(f, {}, true, false);
      expect(error.code).toBe('DEVENV_ABORTED');
      expect(error.message).toBe('nothing was changed');
      expect(error.hint).toContain('--keep-state');
      expect(f.questions).toHaveLength(1);
      for (const change of CHANGES) expect(methods).not.toContain(change);
      expect((await f.runtime.inspectContainer('ask-no'))?.id).toBe(id);
    });
  });

  it('--recreate with nothing changed needs consent too, and recreates from the image with -y', async () => {
    const f = await engineFixture('recreate');
    const first = await upOnce(f);
    const refused = await upFails(f, { recreate: true });
    expect(refused.error.code).toBe('DEVENV_ABORTED');
    expect(refused.methods).not.toContain('removeContainer');
    const { result, methods } = await upOnce(f, { recreate: true, yes: true });
    expect(result.action).toBe('recreated');
    expect(result.container).not.toBe(first.result.container);
    expect(methods).not.toContain('commit');
  });

  it('refuses a container of that name that devenv did not make, and leaves it alone', async () => {
    const f = await engineFixture('foreign');
    f.runtime.addImage('someone/else:1');
    await f.runtime.createContainer(
      { ...f.project.plan.run, image: 'someone/else:1', labels: {} },
      undefined,
    );
    const { error, methods } = await upFails(f);
    expect(error.code).toBe('DEVENV_BUSY');
    expect(error.exitCode).toBe(EXIT_FAILURE);
    expect(error.message).toBe('a container named foreign exists and devenv did not make it');
    for (const change of CHANGES) expect(methods).not.toContain(change);
    expect(await f.runtime.inspectContainer('foreign')).toMatchObject({ image: 'someone/else:1' });
  });

  it("refuses another project's environment of the same name", async () => {
    const other = await engineFixture('shared-name');
    await upOnce(other);
    const f = await engineFixture('shared-name', [], {}, other.runtime);
    const { error, methods } = await upFails(f);
    expect(error.code).toBe('DEVENV_BUSY');
    expect(error.exitCode).toBe(EXIT_FAILURE);
    expect(error.message).toBe(`the environment shared-name belongs to another project (${other.dir})`);
    for (const change of CHANGES) expect(methods).not.toContain(change);
  });

  it('in a terminal without -d, attaches after the lock is released and reports the session status', async () => {
    const f = await engineFixture('attached');
    f.runtime.behaviour.attach = () => ({ kind: 'exited', status: 3 });
    const { result, methods } = await upOnce(f, { detach: false }, true);
    expect(result).toMatchObject({ action: 'created', attached: true, status: 3 });
    expect(methods.at(-1)).toBe('attach');
    expect((await f.runtime.inspectContainer('attached'))?.state).toBe('exited');
    f.runtime.behaviour.attach = () => ({ kind: 'detached' });
    const again = await upOnce(f, { detach: false }, true);
    expect(again.result).toMatchObject({ action: 'started', attached: true, detached: true });
  });

  it('runs create hooks once per container and start hooks on every start', async () => {
    const f = await engineFixture('hooks', ['hooks: {create: ["echo made"], start: ["echo started"]}']);
    const hooks = () =>
      f.runtime.calls.filter((c) => c.method === 'exec').map((c) => (c.args[1] as string[]).at(-1));
    await upOnce(f);
    expect(hooks()).toEqual(['echo made', 'echo started']);
    await f.runtime.stopContainer('hooks');
    await upOnce(f);
    expect(hooks()).toEqual(['echo made', 'echo started', 'echo started']);
  });

  it('a failing hook fails up with its status', async () => {
    const f = await engineFixture('bad-hook', ['hooks: {create: ["false"]}']);
    f.runtime.behaviour.exec = () => 7;
    const { error } = await upFails(f);
    expect(error.code).toBe('DEVENV_RUNTIME_FAILED');
    expect(error.message).toBe('the create hook "false" exited with status 7');
  });

  it('after a rebuild and recreate, removes the image the container no longer uses', async () => {
    const f = await engineFixture('superseded');
    const first = await upOnce(f);
    await f.edit(['steps: [{run: "touch /built"}]']);
    await upOnce(f, { yes: true });
    expect(await f.runtime.inspectImage(first.result.image)).toBeUndefined();
  });

  it('a second up on the same environment waits for the first, then finds its container running', async () => {
    const f = await engineFixture('concurrent');
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let building = (): void => undefined;
    const started = new Promise<void>((resolve) => {
      building = resolve;
    });
    f.runtime.behaviour.beforeBuild = async () => {
      f.runtime.behaviour.beforeBuild = undefined;
      building();
      await held;
    };
    const first = up(f.context(), f.project, detached);
    await started;
    const second = up(f.context(), f.project, detached);
    await expect
      .poll(() => f.messages('info'), { timeout: 10_000 })
      .toContainEqual(
        expect.stringMatching(/^waiting for .*\(devenv up concurrent\).* to finish with concurrent$/),
      );
    // Each looked once before the lock (finding nothing yet); the second has not looked again under it.
    expect(f.runtime.methods().filter((m) => m === 'inspectContainer')).toHaveLength(2);
    release();
    const results = await Promise.all([first, second]);
    expect(results.map((r) => r.action)).toEqual(['created', 'running']);
    expect(f.runtime.methods().filter((m) => m === 'createContainer')).toHaveLength(1);
    expect(f.runtime.methods().filter((m) => m === 'buildImage')).toHaveLength(1);
  });

  describe('a no-op up and the lock', () => {
    /** Holds the environment's lock from outside, as another devenv command would. */
    async function holdLock(f: EngineFixture, name: string) {
      return acquireLock(envLockFile(f.context().stateHome, name), { purpose: 'the test' });
    }

    /** Settles with the result of `run`, or 'still waiting' when it is not done after `ms`. */
    async function within<T>(run: Promise<T>, ms: number): Promise<T | 'still waiting'> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'still waiting'>((resolve) => {
        timer = setTimeout(() => {
          resolve('still waiting');
        }, ms);
      });
      try {
        return await Promise.race([run, late]);
      } finally {
        clearTimeout(timer);
      }
    }

    it('returns without the lock when nothing would change', async () => {
      const f = await engineFixture('noop-unlocked', ['hooks: {create: ["echo made"]}']);
      const first = await upOnce(f);
      const lock = await holdLock(f, 'noop-unlocked');
      try {
        const before = f.runtime.calls.length;
        const result = await within(up(f.context(), f.project, detached), 5_000);
        expect(result).toMatchObject({ action: 'running', built: false, container: first.result.container });
        const methods = f.runtime.methods().slice(before);
        for (const change of [...CHANGES, 'buildImage', 'exec'] as const)
          expect(methods).not.toContain(change);
        expect(f.messages('info').filter((m) => m.startsWith('waiting for'))).toEqual([]);
      } finally {
        await lock.release();
      }
    });

    it('stays on the hot path for the code cache only when it returns without the lock', async () => {
      const f = await engineFixture('hot-path');
      await upOnce(f);
      const flag = Symbol.for('devenv.off-hot-path');
      Reflect.deleteProperty(globalThis, flag);
      expect(await up(f.context(), f.project, detached)).toMatchObject({ action: 'running' });
      expect(leftHotPath()).toBe(false);
      await f.runtime.stopContainer('hot-path');
      expect(await up(f.context(), f.project, detached)).toMatchObject({ action: 'started' });
      expect(leftHotPath()).toBe(true);
      Reflect.deleteProperty(globalThis, flag);
    });

    it('takes the lock when something will change, and waits for its holder', async () => {
      const f = await engineFixture('change-locked');
      await upOnce(f);
      await f.runtime.stopContainer('change-locked');
      const lock = await holdLock(f, 'change-locked');
      const before = f.runtime.calls.length;
      const pending = up(f.context(), f.project, detached);
      try {
        expect(await within(pending, 1_500)).toBe('still waiting');
        expect(f.runtime.methods().slice(before)).not.toContain('startContainer');
      } finally {
        await lock.release();
      }
      expect(await pending).toMatchObject({ action: 'started' });
      expect(f.runtime.methods().slice(before)).toContain('startContainer');
    });

    it('runs create hooks a crash left pending, under the lock, instead of calling it a no-op', async () => {
      const f = await engineFixture('hooks-pending', ['hooks: {create: ["echo made"]}']);
      await upOnce(f);
      for (const entry of readdirSync(f.project.stateDir))
        if (entry.startsWith(HOOK_MARKER_PREFIX)) unlinkSync(path.join(f.project.stateDir, entry));
      const { result, methods } = await upOnce(f);
      expect(result.action).toBe('running');
      expect(methods).toContain('exec');
    });

    it('decides again under the lock: a change made while it waited is seen', async () => {
      const f = await engineFixture('raced');
      await upOnce(f);
      await f.runtime.stopContainer('raced');
      const lock = await holdLock(f, 'raced');
      const before = f.runtime.calls.length;
      const pending = up(f.context(), f.project, detached);
      try {
        expect(await within(pending, 1_500)).toBe('still waiting');
        // The holder starts the environment (as a concurrent up would) before it lets go.
        await f.runtime.startContainer('raced');
      } finally {
        await lock.release();
      }
      const result = await pending;
      expect(result.action).toBe('running');
      const mine = f.runtime.methods().slice(before);
      expect(mine.filter((m) => m === 'startContainer')).toHaveLength(1);
    });

    it('decides again under the lock: a container removed while it waited is created', async () => {
      const f = await engineFixture('raced-rm');
      await upOnce(f);
      await f.runtime.stopContainer('raced-rm');
      const lock = await holdLock(f, 'raced-rm');
      const pending = up(f.context(), f.project, detached);
      try {
        expect(await within(pending, 1_500)).toBe('still waiting');
        await f.runtime.removeContainer('raced-rm', { force: true });
      } finally {
        await lock.release();
      }
      expect((await pending).action).toBe('created');
      expect((await f.runtime.inspectContainer('raced-rm'))?.state).toBe('running');
    });
  });
});
