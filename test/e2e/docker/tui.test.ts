/**
 * The TUI in a real terminal (tmux) on the private dockerd: open it, start an environment, attach,
 * detach back to the TUI, attach again to the same session, stop it, resize to 60×20 and 200×60,
 * save it to a file and load it under another name, quit, and find the terminal restored; on the
 * way, a vim-style save of devenv.yml gives exactly one banner. Started
 * with `env -u CI`: under CI Ink would not redraw.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, isolatedEnv, noDocker } from './env.js';

const NAME = 'tui-e2e';
const COPY = 'tui-e2e-copy';
const PROMPT = /[/~] # ?$/m;
let session: TmuxSession | undefined;

afterAll(async () => {
  await session?.kill();
  await docker(['rm', '-f', NAME, COPY]);
});

/** The visible screen only (no history, wrapped lines kept apart), for width checks. */
async function visible(name: string): Promise<string[]> {
  const { stdout } = await execa('tmux', ['capture-pane', '-p', '-t', name]);
  const lines = stdout.split('\n');
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  return lines;
}

async function resizeAndCheck(tmux: TmuxSession, columns: number, rows: number): Promise<void> {
  await execa('tmux', ['resize-window', '-t', tmux.name, '-x', String(columns), '-y', String(rows)]);
  let lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    lines = await visible(tmux.name);
    if (lines.length === rows - 1 && lines.every((l) => Array.from(l).length <= columns)) break;
  }
  const screen = lines.join('\n');
  for (const line of lines) expect(Array.from(line).length, screen).toBeLessThanOrEqual(columns);
  expect(lines.length, screen).toBe(rows - 1);
  expect(lines[lines.length - 1], screen).toMatch(/↑↓ move/);
  expect(
    lines.filter((l) => l.startsWith('devenv · ')),
    screen,
  ).toHaveLength(1);
  expect(screen).toMatch(/› tui-e2e /);
}

describe.skipIf(noDocker)('the TUI on Docker, in a terminal', () => {
  it('starts, attaches, detaches back, stops, resizes, saves and loads, and restores the terminal', async () => {
    const env = isolatedEnv({ TERM: 'xterm-256color' });
    const dir = busyboxProject(NAME, []);
    writeFileSync(
      path.join(dir, 'run-tui.sh'),
      `env -u CI '${process.execPath}' '${CLI}'\necho "[tui exit $?]"\nstty -a\n`,
    );
    const tmux = await TmuxSession.start(`tui-${process.pid}`, 'sh run-tui.sh', { cwd: dir, env });
    session = tmux;
    await tmux.waitFor(/Environments[^]*› tui-e2e +· absent/, 120_000);

    // u on an environment not created yet builds and starts it (devenv up -d).
    await tmux.keys('u');
    await tmux.waitFor(/› tui-e2e +● running/, 600_000);

    await tmux.keys('Enter');
    await tmux.waitFor(/attached to tui-e2e — detach: ctrl-p ctrl-q/, 120_000);
    await tmux.waitFor(PROMPT, 60_000);
    await tmux.type('echo hi');
    await tmux.keys('Enter');
    await tmux.waitFor(/^hi$/m, 30_000);
    await tmux.keys('C-p', 'C-q');
    await tmux.waitFor(/tui-e2e: detached; still running/, 60_000);
    expect(await tmux.screen()).toMatch(/› tui-e2e +● running/);

    // The same session again: what it printed before is still on the screen.
    await tmux.keys('a');
    // The second attach is ready once devenv attach says so a second time; `hi` is still there.
    await tmux.waitFor(/keeps running[^]*keeps running\s*\n[/~] # ?$/m, 60_000);
    expect(await tmux.screen()).toMatch(/^hi$/m);
    await tmux.keys('C-p', 'C-q');
    await tmux.waitFor(/tui-e2e: detached; still running/, 60_000);

    await tmux.keys('s');
    await tmux.waitFor(/› tui-e2e +○ stopped/, 120_000);

    // devenv.yml saved as vim saves it: a probe file, a swap file, the old text moved to a backup,
    // the new text written, the backup removed. The TUI shows exactly one banner, and i dismisses it.
    const yml = path.join(dir, 'devenv.yml');
    const text = readFileSync(yml, 'utf8');
    writeFileSync(path.join(dir, '4913'), '');
    rmSync(path.join(dir, '4913'));
    writeFileSync(path.join(dir, '.devenv.yml.swp'), 'swap');
    renameSync(yml, `${yml}~`);
    writeFileSync(yml, `${text}\nenv: {TUI_VAR: one}\n`);
    rmSync(`${yml}~`);
    rmSync(path.join(dir, '.devenv.yml.swp'));
    // The banner is the line with the keys; the detail pane's drift field may say the same words
    // (it did, before the banner, when the stop's refresh read the new devenv.yml).
    const keys = /r recreate \(keeps volumes\) · i ignore/g;
    const banner = await tmux.waitFor(/run settings changed: env \(\+ TUI_VAR\) +r recreate/, 60_000);
    expect(banner.match(keys)).toHaveLength(1);
    // A second banner would come after the quiet period; none does.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await tmux.screen()).match(keys)).toHaveLength(1);
    await tmux.keys('i');
    await tmux.waitFor(/^(?![^]*r recreate \(keeps volumes\))/, 30_000);

    await resizeAndCheck(tmux, 60, 20);
    await resizeAndCheck(tmux, 200, 60);

    // Save to the suggested file (tui-e2e.tar in the project folder), then load it as a copy.
    await tmux.keys('S');
    await tmux.waitFor(/file: tui-e2e\.tar/, 30_000);
    await tmux.keys('Enter');
    await tmux.waitFor(/saved tui-e2e to tui-e2e\.tar/, 300_000);
    await tmux.keys('I');
    await tmux.waitFor(/Load/, 30_000);
    await tmux.type('tui-e2e.tar');
    await tmux.keys('Tab');
    await tmux.type(COPY);
    await tmux.keys('Enter');
    await tmux.waitFor(/restored tui-e2e-copy/, 300_000);
    await tmux.waitFor(/tui-e2e-copy +○/, 60_000);
    expect((await docker(['inspect', '--format', '{{.Name}}', COPY])).stdout).toBe(`/${COPY}`);

    await tmux.keys('q');
    const after = await tmux.waitFor(/\[tui exit 0\][^]*speed/, 60_000);
    const settings = after.slice(after.indexOf('[tui exit 0]'));
    expect(settings).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(settings).toMatch(/(^|\s)echo(\s|$)/m);
  });
});
