/**
 * Actions on the in-memory runtime: start and stop, remove only after the name is typed, rebuild
 * asking with up's own words, the attach handover (input released before the child runs, back
 * after, "detached; still running" or "exited (N)") and a watch prompt queued while attached.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildCommand } from '../../../src/ui/tui/handover.js';
import { fixtureEngine, openTui } from './harness.js';
import { cleanupFixtures, threeEnvironments } from './fixtures.js';

afterEach(cleanupFixtures);

describe('actions', () => {
  it('stops and starts the selected environment', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    await tui.waitFor(/› api +● running/);
    await tui.keys('s');
    await tui.waitFor(/› api +○ stopped/);
    expect(fixture.runtime.containers.get('api')?.summary.state).toBe('exited');
    await tui.keys('u');
    await tui.waitFor(/› api +● running/);
    await tui.waitFor(/started api/);
    await tui.quit();
  });

  it('removes only after the name is typed exactly', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    await tui.waitFor(/› api/);
    await tui.keys('d', 'a', 'p', 'enter');
    await tui.waitFor(/type api exactly/);
    expect(fixture.runtime.containers.has('api')).toBe(true);
    await tui.keys('i', 'enter');
    await tui.waitFor(/removed api/);
    expect(fixture.runtime.containers.has('api')).toBe(false);
    await tui.quit();
  });

  it('keys that arrive in one chunk (a paste, a loaded machine) are pressed one by one', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    await tui.waitFor(/› api/);
    // d opens the dialog, the name is typed with a slip corrected, and enter confirms: one read.
    await tui.keys('dapx\x7fi\r');
    await tui.waitFor(/removed api/);
    expect(fixture.runtime.containers.has('api')).toBe(false);
    // A filter typed and closed in one chunk.
    await tui.keys('/web\r');
    await tui.waitFor(/› web/);
    await tui.quit();
  });

  it('rebuild says what will be lost, as up does, and a no changes nothing', async () => {
    const fixture = await threeEnvironments();
    await fixture.edit(['packages: [jq]']);
    const tui = await openTui(fixtureEngine(fixture), { columns: 160, rows: 30, colour: false });
    await tui.waitFor(/› api +● running +!img/);
    const before = fixture.runtime.containers.get('api')?.summary.id;
    await tui.keys('b');
    await tui.waitFor(
      /changes made in the container outside named volumes and mounts will be lost[^]*Recreate api and discard those changes\?/,
    );
    await tui.keys('n');
    await tui.waitFor(/nothing was changed — run devenv up --keep-state/);
    expect(fixture.runtime.containers.get('api')?.summary.id).toBe(before);
    await tui.keys('b');
    await tui.waitFor(/Recreate api/);
    await tui.keys('y');
    await tui.waitFor(/api: (built, )?recreated/);
    expect(fixture.runtime.containers.get('api')?.summary.id).not.toBe(before);
    await tui.quit();
  });

  it('shows an error of the engine with its hint on the status line', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 160, rows: 30, colour: false });
    await tui.waitFor(/scratch/);
    // scratch belongs to another project: its devenv.yml is not here to rebuild from.
    await tui.keys('/', 's', 'c', 'r', 'enter', 'b');
    await tui.waitFor(/✗ rebuild needs the devenv.yml of scratch — open devenv in /);
    await tui.quit();
  });

  it('hands the terminal over for attach: input off and stdin paused before the child runs, back after', async () => {
    const fixture = await threeEnvironments();
    const seen: { raw: boolean; paused: boolean; suspended: boolean; command: ChildCommand }[] = [];
    const tui = await openTui(fixtureEngine(fixture), {
      columns: 120,
      rows: 30,
      colour: false,
      spawner: (command) => {
        seen.push({
          raw: tui.stdin.rawMode,
          paused: tui.stdin.paused,
          suspended: tui.store.getState().suspended,
          command,
        });
        // A change to devenv.yml while attached waits for the user to come back.
        tui.watch.push({ verdict: 'rebuild', message: 'devenv.yml changed → image out of date' });
        return Promise.resolve(1);
      },
    });
    await tui.waitFor(/› api/);
    expect(tui.stdin.rawMode).toBe(true);
    await tui.keys('enter');
    await tui.waitFor(/api: detached; still running/);
    expect(seen).toEqual([
      {
        raw: false,
        paused: true,
        suspended: true,
        command: { argv: ['/usr/bin/node', '/devenv/cli.js', 'attach', 'api', '--runtime', 'docker'] },
      },
    ]);
    // The queued prompt shows now, and the keyboard works again.
    await tui.waitFor(/image out of date +b rebuild · p plan · i ignore/);
    expect(tui.stdin.rawMode).toBe(true);
    expect(tui.stdin.paused).toBe(false);
    expect(tui.stdout.writes).toContain('\x1b[?1049l\x1b[?25h');
    expect(tui.stdout.writes).toContain('devenv: attached to api — detach: ctrl-p ctrl-q\n');
    await tui.keys('i');
    await tui.waitFor((f) => !f.includes('image out of date'), 'the banner to go');
    await tui.quit();
  });

  it('starts a stopped environment before attaching, and says "exited (N)" when the session ends it', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), {
      columns: 120,
      rows: 30,
      colour: false,
      spawner: async () => {
        expect(fixture.runtime.containers.get('web')?.summary.state).toBe('running');
        await fixture.runtime.stopContainer('web');
        const web = fixture.runtime.containers.get('web');
        if (web !== undefined) web.summary.exitCode = 3;
        return 3;
      },
    });
    await tui.waitFor(/web +○ stopped/);
    await tui.keys('/', 'w', 'e', 'b', 'enter', 'enter');
    await tui.waitFor(/web: exited \(3\)/);
    await tui.quit();
  });

  it('W turns the watch off (the pending change goes, new ones are dropped) and on again', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 160, rows: 30, colour: false });
    await tui.waitFor(/› api/);
    tui.watch.push({ verdict: 'rebuild', message: 'devenv.yml changed → image out of date' });
    await tui.waitFor(/image out of date/);
    await tui.keys('W');
    await tui.waitFor(/watch off: edits of devenv\.yml are not followed/);
    expect(tui.frame()).not.toContain('image out of date');
    tui.watch.push({ verdict: 'recreate', message: 'devenv.yml changed → run settings: env (+ A)' });
    await tui.keys('W');
    await tui.waitFor(/watch on: edits of devenv\.yml are followed again/);
    expect(tui.frame()).not.toContain('run settings: env');
    tui.watch.push({ verdict: 'recreate', message: 'devenv.yml changed → run settings: env (+ B)' });
    await tui.waitFor(/run settings: env \(\+ B\)/);
    await tui.quit();
  });
});
