/** `build`'s decision on the in-memory runtime: nothing to do when the inputs digest matches. */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEnvironmentImage, INPUTS_LABEL } from '../../src/engine/image.js';
import type { BuildOptions } from '../../src/engine/image.js';
import { cleanupFixtures, engineFixture } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';

afterEach(cleanupFixtures);

const plain: BuildOptions = { noCache: false, pull: false, squash: false, force: false };

async function build(f: EngineFixture, options: Partial<BuildOptions> = {}) {
  const before = f.runtime.calls.length;
  const result = await buildEnvironmentImage(f.context(), f.project, { ...plain, ...options });
  return { ...result, methods: f.runtime.methods().slice(before) };
}

describe('build on the in-memory runtime', () => {
  it('builds once, then finds the inputs unchanged and builds nothing', async () => {
    const f = await engineFixture('cached');
    const first = await build(f);
    expect(first.built).toBe(true);
    expect(first.image.labels[INPUTS_LABEL]).toMatch(/^sha256:/);
    const second = await build(f);
    expect(second).toMatchObject({ built: false, image: { id: first.image.id } });
    expect(second.methods).toEqual(['inspectImage']);
  });

  it('--no-cache, --pull and force build again although the inputs are unchanged', async () => {
    const f = await engineFixture('forced');
    const first = await build(f);
    const noCache = await build(f, { noCache: true });
    expect(noCache.built).toBe(true);
    expect(f.runtime.calls.filter((c) => c.method === 'buildImage')[1]?.args[0]).toMatchObject({
      noCache: true,
    });
    // A build without the cache makes a new image; the old one, now unused, is removed.
    expect(noCache.image.id).not.toBe(first.image.id);
    expect(await f.runtime.inspectImage(first.image.id)).toBeUndefined();
    for (const options of [{ pull: true }, { force: true }]) {
      const again = await build(f, options);
      expect(again.built, JSON.stringify(options)).toBe(true);
      expect(again.methods).toContain('buildImage');
    }
  });

  it('a changed file that a COPY step reads changes the inputs and builds again', async () => {
    const f = await engineFixture('context', ['steps: [{copy: {src: ./tool.sh, dest: /opt/tool.sh}}]'], {
      'tool.sh': 'echo one\n',
    });
    expect((await build(f)).built).toBe(true);
    expect((await build(f)).built).toBe(false);
    writeFileSync(path.join(f.dir, 'tool.sh'), 'echo two\n');
    const changed = await build(f);
    expect(changed.built).toBe(true);
    expect(changed.methods).toContain('buildImage');
  });

  it('a changed build step changes the plan digest and builds again', async () => {
    const f = await engineFixture('steps');
    const first = await build(f);
    await f.edit(['steps: [{run: "touch /built"}]']);
    const second = await build(f);
    expect(second.built).toBe(true);
    expect(second.image.id).not.toBe(first.image.id);
  });

  it('with a COPY source gone, the existing image runs as it is and a build is refused by name', async () => {
    const f = await engineFixture('moved', ['steps: [{copy: {src: ./tool.sh, dest: /opt/tool.sh}}]'], {
      'tool.sh': 'echo one\n',
    });
    const first = await build(f);
    rmSync(path.join(f.dir, 'tool.sh'));
    const kept = await build(f);
    expect(kept).toMatchObject({ built: false, image: { id: first.image.id } });
    expect(kept.methods).not.toContain('buildImage');
    await expect(build(f, { noCache: true })).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
      message: expect.stringContaining('the copy source "tool.sh" does not exist') as unknown,
    });
  });

  it('with a COPY source gone and no image, the build is refused before the runtime is asked to build', async () => {
    const f = await engineFixture('never-built', ['steps: [{copy: {src: ./gone.sh, dest: /opt/gone.sh}}]'], {
      'gone.sh': 'echo\n',
    });
    rmSync(path.join(f.dir, 'gone.sh'));
    await expect(build(f)).rejects.toMatchObject({
      code: 'DEVENV_CONFIG_INVALID',
      hint: expect.stringContaining('copy the files the image is built from') as unknown,
    });
    expect(f.runtime.methods()).not.toContain('buildImage');
  });
});
