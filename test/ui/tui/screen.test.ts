/**
 * Every view at 60×20, 80×24 and 200×60, with and without colour: no line wider than the terminal,
 * the frame one line shorter than it, the hint bar last, and under NO_COLOR no colour escape at all.
 */
import chalk from 'chalk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, openTui, visibleLines } from './harness.js';
import type { Tui } from './harness.js';
import { cleanupFixtures, threeEnvironments } from './fixtures.js';

afterEach(cleanupFixtures);

const SIZES = [
  [60, 20],
  [80, 24],
  [200, 60],
] as const;

/** Views reached by keys from the opening screen. */
const VIEWS: Record<string, { keys: string[]; shows: RegExp }> = {
  list: { keys: [], shows: /› api/ },
  detail: { keys: ['1'], shows: /drift +✓ in sync/ },
  logs: { keys: ['l'], shows: /hello from api/ },
  plan: { keys: ['p'], shows: /FROM registry\.test/ },
  help: { keys: ['?'], shows: /Keys[^]*in the list/ },
  remove: { keys: ['d'], shows: /Type api to remove it/ },
  filter: { keys: ['/', 'w'], shows: /filter: w/ },
  banner: { keys: [], shows: /image out of date/ },
};

let level: typeof chalk.level;
beforeAll(() => {
  level = chalk.level;
});
afterAll(() => {
  chalk.level = level;
});

function checkFrame(frame: string, columns: number, rows: number): void {
  const lines = visibleLines(frame);
  expect(lines.length, frame).toBeLessThanOrEqual(rows - 1);
  for (const line of lines) expect(Array.from(line).length, line).toBeLessThanOrEqual(columns);
  const last = lines[lines.length - 1] ?? '';
  // The hint bar: keys of the place the keyboard is (dialogs and help have their own).
  expect(last, frame).toMatch(/move|attach|esc|⏎ ok|y yes|help|done/);
  // One heading, at the top.
  expect(lines[0]).toMatch(/^devenv · /);
  expect(lines.filter((l) => l.startsWith('devenv · '))).toHaveLength(1);
}

describe.each(SIZES)('the TUI at %i×%i', (columns, rows) => {
  for (const colour of [true, false]) {
    it(`draws every view ${colour ? 'in colour' : 'under NO_COLOR'}`, async () => {
      // chalk ignores NO_COLOR (and starts colourless here, vitest's output is no terminal), so it
      // is left able to colour: the TUI's own theme must keep colour out.
      chalk.level = 1;
      const fixture = await threeEnvironments();
      for (const [name, view] of Object.entries(VIEWS)) {
        const tui: Tui = await openTui(fixtureEngine(fixture), { columns, rows, colour });
        await tui.waitFor(/› api/);
        if (name === 'banner')
          tui.watch.push({ verdict: 'rebuild', message: 'devenv.yml changed → image out of date' });
        await tui.keys(...view.keys);
        // The narrow layout shows the pane instead of the list once it has focus.
        const frame = await tui.waitFor(view.shows, `${name} at ${columns}×${rows}`);
        checkFrame(frame, columns, rows);
        // eslint-disable-next-line no-control-regex -- the escape itself
        const colourEscape = /\x1b\[(3|4)\d/;
        if (colour) expect(tui.stdout.writes.join('')).toMatch(colourEscape);
        else expect(tui.stdout.writes.join(''), name).not.toMatch(colourEscape);
        if (name === 'list') expect(frame).toContain('›');
        await tui.quit();
      }
    });
  }

  it('redraws to the new size on resize, keeping the hint bar last', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 40 });
    await tui.waitFor(/› api/);
    await tui.resize(columns, rows);
    const frame = await tui.waitFor((f) => visibleLines(f).length === rows - 1, `${rows - 1} lines`);
    checkFrame(frame, columns, rows);
    await tui.quit();
  });
});

describe('the list', () => {
  it("shows this project's environment first, the others grouped, with state and drift glyphs", async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    const lines = visibleLines(await tui.waitFor(/scratch/));
    const list = lines.map((l) => l.slice(0, 45));
    const at = (name: string): number => list.findIndex((l) => new RegExp(`\\b${name}\\b`).test(l));
    expect(at('api')).toBeLessThan(at('other projects'));
    expect(at('other projects')).toBeLessThan(at('scratch'));
    expect(list[at('api')]).toMatch(/› api +● running +✓/);
    expect(list[at('web')]).toMatch(/ web +○ stopped/);
    await tui.quit();
  });

  it('marks drift: !img after devenv.yml changes the image, ~run after a run setting changes', async () => {
    const fixture = await threeEnvironments();
    await fixture.edit(['packages: [jq]']);
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    expect(visibleLines(await tui.waitFor(/› api/)).join('\n')).toMatch(/› api +● running +!img/);
    await tui.quit();
    await fixture.edit(['env: {A: "1"}']);
    const again = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30, colour: false });
    await again.waitFor(/› api/);
    // The image key includes the env too here, so either glyph says "not in sync".
    expect(visibleLines(again.frame()).join('\n')).toMatch(/› api +● running +(~run|!img)/);
    await again.quit();
  });
});
