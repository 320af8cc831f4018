/** The drift report `status`, the TUI and watch share, on the in-memory runtime. */
import { afterEach, describe, expect, it } from 'vitest';
import { driftReport } from '../../src/engine/drift.js';
import { up } from '../../src/engine/up.js';
import { cleanupFixtures, engineFixture, UP_DETACHED } from '../helpers/engine-fixture.js';
import type { EngineFixture } from '../helpers/engine-fixture.js';

afterEach(cleanupFixtures);

async function reportOf(f: EngineFixture) {
  return driftReport(f.runtime, f.project, await f.runtime.inspectContainer(f.project.plan.name));
}

describe('driftReport', () => {
  it('follows an environment from not built to in sync', async () => {
    const f = await engineFixture('drift-states');
    expect(await reportOf(f)).toMatchObject({ state: 'not-built', changes: [] });
    await up(f.context({ interactive: false, answer: false }), f.project, UP_DETACHED);
    expect(await reportOf(f)).toEqual({ state: 'in-sync', summary: 'in sync with devenv.yml', changes: [] });
    await f.runtime.removeContainer('drift-states', { force: true });
    expect((await reportOf(f)).state).toBe('not-created');
  });

  it('says the image is out of date as soon as devenv.yml asks for another build, before any build', async () => {
    const f = await engineFixture('drift-stale');
    await up(f.context({ interactive: false, answer: false }), f.project, UP_DETACHED);
    await f.edit(['steps: [{run: "touch /built"}]']);
    const report = await reportOf(f);
    expect(report.state).toBe('image-stale');
    expect(report.summary).toContain('devenv up rebuilds it');
  });

  it('names the run settings that changed', async () => {
    const f = await engineFixture('drift-run');
    await up(f.context({ interactive: false, answer: false }), f.project, UP_DETACHED);
    await f.edit(['env: {NEW_VAR: one}']);
    expect(await reportOf(f)).toEqual({
      state: 'run-changed',
      summary: 'run settings changed: env (+ NEW_VAR)',
      changes: ['env (+ NEW_VAR)'],
    });
  });

  it('after a refused recreate, the container runs the previous image', async () => {
    const f = await engineFixture('drift-changed');
    await up(f.context({ interactive: false, answer: false }), f.project, UP_DETACHED);
    await f.edit(['steps: [{run: "touch /built"}]']);
    await up(f.context({ interactive: false, answer: false }), f.project, UP_DETACHED).catch(() => undefined);
    expect((await reportOf(f)).state).toBe('image-changed');
  });
});
