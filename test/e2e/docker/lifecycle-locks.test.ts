/**
 * Commands that change an environment take the same per-environment lock as up, and that lock never
 * covers an attached session; exiting the main shell says how to come back. (What attach prints, and
 * the prompt it redraws without a key press, is checked on every runtime in
 * test/e2e/conformance/sessions.test.ts.)
 */
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { busyboxProject, docker, noDocker, isolatedEnv, run } from './env.js';

const RAW_DOCKER = /No such container|marked for removal|hit a bug|Error response from daemon/i;

const sessions: TmuxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.kill();
  await docker(['rm', '-f', 'lk-race', 'lk-attached', 'lk-wait']);
});

async function containerState(name: string): Promise<string> {
  const inspected = await docker(['inspect', '--format', '{{.State.Status}}', name]);
  return inspected.exitCode === 0 ? inspected.stdout : 'absent';
}

describe.skipIf(noDocker)('environment locks and attach feedback on Docker', () => {
  it('up -d racing rm -f: every run ends in success or a clear devenv message, and the state is consistent', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lk-race', []);
    expect((await run(dir, env, ['up', '-d'], { timeout: 240_000 })).exitCode).toBe(0);
    for (let round = 1; round <= 8; round++) {
      const [up, rm] = await Promise.all([
        run(dir, env, ['up', '-d'], { timeout: 240_000 }),
        run(dir, env, ['rm', '-f'], { timeout: 240_000 }),
      ]);
      for (const [what, result] of [
        ['up -d', up],
        ['rm -f', rm],
      ] as const) {
        const context = `round ${round}, ${what} (exit ${result.exitCode}):\n${result.stderr}`;
        expect(result.stderr, context).not.toMatch(RAW_DOCKER);
        if (result.exitCode !== 0) expect(result.stderr, context).toMatch(/no environment named lk-race/);
      }
      expect(up.exitCode, up.stderr).toBe(0);
      // Whichever ran second decides: up after rm leaves it running, rm after up leaves nothing.
      const state = await containerState('lk-race');
      expect(['running', 'absent'], `round ${round}: ${state}`).toContain(state);
      const listed = await run(dir, env, ['ls', '--json']);
      const names = (JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name);
      expect(names.includes('lk-race')).toBe(state === 'running');
    }
  });

  it('rm waits for an up that holds the lock, says so, then removes what up made', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lk-wait', []);
    const up = run(dir, { ...env, DEVENV_FAILPOINTS: 'env.lock.held:sleep=20000' }, ['up', '-d'], {
      timeout: 240_000,
    });
    // The holder records itself next to the lock; start rm only once up is inside. Up holds it for
    // 20 s so that rm, slow to start on a busy machine, still finds it held.
    const owner = `${env['HOME']}/.local/state/devenv/locks/lk-wait.owner`;
    for (let i = 0; i < 1200; i++) {
      if ((await readFile(owner, 'utf8').catch(() => '')).includes('devenv up lk-wait')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rm = await run(dir, env, ['rm', '-f'], { timeout: 240_000 });
    expect((await up).exitCode).toBe(0);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(/waiting for pid \d+ \(devenv up lk-wait\).* to finish with lk-wait/);
    expect(await containerState('lk-wait')).toBe('absent');
  });

  it('a second up -d returns while a first up is attached in a terminal', async () => {
    const env = isolatedEnv();
    const dir = busyboxProject('lk-attached', []);
    const first = await TmuxSession.start('lk-attached', `node ${CLI} up`, { cwd: dir, env });
    sessions.push(first);
    await first.waitFor(/\/ # ?$/m, 180_000);
    const second = await run(dir, env, ['up', '-d'], { timeout: 60_000 });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('lk-attached is already running');
    expect(second.stderr).not.toContain('waiting for');
    const stop = await run(dir, env, ['stop', '-t', '1'], { timeout: 60_000 });
    expect(stop.exitCode, stop.stderr).toBe(0);
    await first.waitFor(
      /lk-attached stopped \(its shell exited with status \d+\); start it again with: devenv up/,
    );
  });
});
