/** The key map: each key reaches its action through the one input handler, and `?` shows the table. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionFor, contextsFor, helpLines, KEYMAP } from '../../../src/ui/tui/keymap.js';
import type { ActionName } from '../../../src/ui/tui/keymap.js';
import { fixtureEngine, openTui, visibleLines } from './harness.js';
import { cleanupFixtures, threeEnvironments } from './fixtures.js';

afterEach(cleanupFixtures);

describe('the key map', () => {
  it('sends every key of the list and the common keys to its action', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 30 });
    await tui.waitFor(/› api/);
    const performed: ActionName[] = [];
    const spy = vi.spyOn(tui.controller, 'perform').mockImplementation((action) => {
      performed.push(action);
    });
    const expected: ActionName[] = [];
    for (const context of ['list', 'main'] as const)
      for (const binding of KEYMAP[context])
        for (const key of binding.keys) {
          // The list's own keys win over the common ones (both bind none twice today).
          if (actionFor(contextsFor('list'), key) !== binding.action) continue;
          expected.push(binding.action);
          await tui.keys(key);
        }
    expect(performed).toEqual(expected);
    expect(expected.length).toBeGreaterThan(30);
    spy.mockRestore();
    await tui.quit();
  });

  it('gives the logs pane its own keys (f, /, n, N) and the list keys scroll it', () => {
    const logs = contextsFor('logs');
    expect(actionFor(logs, 'f')).toBe('follow');
    expect(actionFor(logs, '/')).toBe('search');
    expect(actionFor(logs, 'n')).toBe('next-match');
    expect(actionFor(logs, 'up')).toBe('up');
    expect(actionFor(contextsFor('list'), '/')).toBe('filter');
    expect(actionFor(contextsFor('list'), 'f')).toBeUndefined();
  });

  it('shows the whole table under ?, one line per binding', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture), { columns: 120, rows: 80 });
    await tui.waitFor(/› api/);
    await tui.keys('?');
    const shown = visibleLines(await tui.waitFor(/Keys/))
      .map((l) => l.replace(/^│|│$/g, '').trim())
      .filter((l) => l !== '');
    for (const entry of helpLines())
      expect(shown.join('\n')).toContain(`${entry.keys.padEnd(16)}${entry.label}`);
    await tui.keys('escape');
    await tui.waitFor((f) => !/┌ Keys/.test(f), 'the help to close');
    await tui.quit();
  });

  it('quits on q, and on ctrl-c pressed twice', async () => {
    const fixture = await threeEnvironments();
    const tui = await openTui(fixtureEngine(fixture));
    await tui.waitFor(/› api/);
    const quit = vi.fn();
    // @ts-expect-error -- the controller's quit callback, replaced to observe it
    tui.controller.options.onQuit = quit;
    await tui.keys('ctrl-c');
    expect(quit).not.toHaveBeenCalled();
    await tui.waitFor(/press ctrl-c again/);
    await tui.keys('ctrl-c');
    expect(quit).toHaveBeenCalledTimes(1);
    await tui.keys('q');
    expect(quit).toHaveBeenCalledTimes(2);
    await tui.quit();
  });
});

describe('the README', () => {
  it('lists every binding of the key map', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = (await readFile(new URL('../../../README.md', import.meta.url), 'utf8')).replace(
      / +/g,
      ' ',
    );
    for (const entry of helpLines()) expect(readme).toContain(`| \`${entry.keys}\` | ${entry.label} |`);
  });
});
