/**
 * The embedded builder when things go wrong (docs/reliability.md, C1): `kill -9` of the CLI during a
 * RUN step leaves no process of the step running and nothing mounted, `doctor` finds the store clean
 * (or `--repair` makes it so) and the next build finishes; ctrl-c stops a step at once; two builds
 * of one project take turns and the second reuses what the first built.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cleanupSandboxes, devenv, noRegistry, sandbox, services, storedTags } from './env.js';
import type { Sandbox } from './env.js';

afterAll(cleanupSandboxes);

/** Host PIDs whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker) && Number(name) !== process.pid) found.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Mount points of this mount namespace under `dir`. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(dir));
}

function project(box: Sandbox, step: string): string {
  const dir = path.join(box.dir, 'proj');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'devenv.yml'),
    [`name: faulty`, `base: ${services.busyboxImage}`, `steps: [{run: "${step}"}]`, ''].join('\n'),
  );
  return dir;
}

describe.skipIf(noRegistry)('embedded builder: kill -9 and ctrl-c during a RUN step', () => {
  it('kill -9 of the CLI leaves nothing running or mounted; doctor is clean; the next build finishes', async () => {
    const box = sandbox();
    const marker = `sleep 3${Math.floor(Math.random() * 1000)}`;
    const dir = project(box, marker);
    const child = execa(process.execPath, [CLI, '--runtime', 'embedded', '--root', box.root, 'build'], {
      cwd: dir,
      env: box.env,
      extendEnv: false,
      reject: false,
      all: true,
    });
    await waitFor(() => processesWith(marker).length > 0, `the RUN step (${marker}) to start`, 240_000);
    child.kill('SIGKILL');
    const ended = await child;
    expect(ended.signal).toBe('SIGKILL');
    await waitFor(() => processesWith(marker).length === 0, 'the step to die with the CLI', 30_000);
    expect(mountsUnder(box.dir)).toEqual([]);
    expect(Object.keys(storedTags(box)).some((tag) => tag.includes('faulty'))).toBe(false);
    const doctor = await devenv(box, ['doctor', '--repair']);
    expect(doctor.exitCode, doctor.stdout + doctor.stderr).toBe(0);
    const clean = await devenv(box, ['doctor', '--json']);
    expect(clean.exitCode, clean.stdout).toBe(0);
    project(box, 'true');
    const rebuilt = await devenv(box, ['-C', dir, 'build']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    // refs.json holds fully qualified references.
    expect(Object.keys(storedTags(box))).toContain('docker.io/devenv/faulty:latest');
  });

  it('ctrl-c stops the step at once: exit 130, no process of the step left, no tag', async () => {
    const box = sandbox();
    const marker = `sleep 4${Math.floor(Math.random() * 1000)}`;
    const dir = project(box, marker);
    const child = execa(process.execPath, [CLI, '--runtime', 'embedded', '--root', box.root, 'build'], {
      cwd: dir,
      env: box.env,
      extendEnv: false,
      reject: false,
    });
    await waitFor(() => processesWith(marker).length > 0, `the RUN step (${marker}) to start`, 240_000);
    child.kill('SIGINT');
    const ended = await child;
    expect(ended.exitCode, ended.stderr).toBe(130);
    expect(processesWith(marker)).toEqual([]);
    expect(mountsUnder(box.dir)).toEqual([]);
    expect(Object.keys(storedTags(box)).some((tag) => tag.includes('faulty'))).toBe(false);
  });

  it('two builds of one project at once: one waits for the other, the step runs once, both succeed', async () => {
    const box = sandbox();
    const marker = `concurrent-${Math.floor(Math.random() * 1e6)}`;
    const dir = project(box, `echo ${marker} && sleep 2`);
    const [first, second] = await Promise.all([
      devenv(box, ['-C', dir, 'build']),
      devenv(box, ['-C', dir, 'build']),
    ]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    const ran = [first, second].filter((run) => run.stderr.includes(`  ${marker}`));
    expect(ran, first.stderr + second.stderr).toHaveLength(1);
    expect(first.stderr + second.stderr).toMatch(/waiting for/);
  });
});
