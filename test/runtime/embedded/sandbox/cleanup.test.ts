/**
 * Nothing is left behind: aborting a sandbox, or killing the devenv process that runs it with
 * SIGKILL, leaves no process of the sandbox running, nothing mounted, and no helper process (the
 * holder, the runner) behind, on a plain and on an overlay root.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../../../../src/runtime/embedded/sandbox/index.js';
import { childScript } from '../../../helpers/child-script.js';
import { isRoot, skipUnless } from '../../../helpers/requirements.js';
import {
  capture,
  hasBusybox,
  hostMountsUnder,
  processesRunning,
  processesUsing,
  useBusyboxRoot,
} from './helpers/rootfs.js';

const skip = skipUnless('sandbox cleanup tests (namespaces, mounts)', {
  root: isRoot,
  'busybox-static': hasBusybox,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms: number, every = 100): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(every)) if (check()) return true;
  return check();
}

/** How many host processes have `marker` in their command line. */
function commandLinesWith(marker: string): number {
  let found = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) found++;
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe.skipIf(skip)('sandbox cleanup', () => {
  const fixture = useBusyboxRoot();
  let n = 0;

  /** A spec running `sleep <marker>` after printing "started", on a plain or an overlay root. */
  const sleeper = async (kind: 'dir' | 'overlay') => {
    const id = ++n;
    const marker = String(30_000 + id * 1000 + Math.floor(Math.random() * 1000));
    let rootfs: SandboxSpec['rootfs'] = { kind: 'dir', dir: fixture.root };
    if (kind === 'overlay') {
      const upper = path.join(fixture.dir, `upper-${id}`);
      const work = path.join(fixture.dir, `work-${id}`);
      await mkdir(upper);
      await mkdir(work);
      rootfs = { kind: 'overlay', lowers: [fixture.root], upper, work };
    }
    const spec: Omit<SandboxSpec, 'output'> = {
      rootfs,
      argv: ['/bin/sh', '-c', `echo started; exec /bin/sleep ${marker}`],
      env: ['PATH=/bin'],
      cwd: '/',
      user: 'dev',
      network: 'none',
      hostname: 'cleanup-test',
      scratchDir: path.join(fixture.dir, `scratch-${id}`),
    };
    return { spec, sleepArgv: ['/bin/sleep', marker] };
  };

  const expectNothingLeft = async (spec: Omit<SandboxSpec, 'output'>, sleepArgv: string[]) => {
    expect(await until(() => processesRunning(sleepArgv).length === 0, 10_000)).toBe(true);
    expect(await until(() => processesUsing(fixture.dir).length === 0, 10_000)).toEqual(true);
    expect(hostMountsUnder(fixture.dir)).toEqual([]);
    expect(processesUsing(spec.scratchDir)).toEqual([]);
  };

  it.each(['dir', 'overlay'] as const)('abort kills the whole sandbox promptly (%s root)', async (kind) => {
    const { spec, sleepArgv } = await sleeper(kind);
    const controller = new AbortController();
    const running = capture({ ...spec, signal: controller.signal });
    expect(await until(() => processesRunning(sleepArgv).length === 1, 30_000)).toBe(true);
    const started = Date.now();
    controller.abort();
    expect(await running).toMatchObject({ exitCode: 137, signal: 'SIGKILL', stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(10_000);
    // Resolved only after everything is gone.
    expect(processesRunning(sleepArgv)).toEqual([]);
    expect(processesUsing(fixture.dir)).toEqual([]);
    expect(hostMountsUnder(fixture.dir)).toEqual([]);
    expect(existsSync(spec.scratchDir)).toBe(false);
  });

  it('an abort before the start resolves at once', async () => {
    const { spec } = await sleeper('dir');
    const controller = new AbortController();
    controller.abort();
    expect(await capture({ ...spec, signal: controller.signal })).toMatchObject({ exitCode: 137 });
  });

  it('an abort as soon as the step shows in /proc resolves, and leaves nothing running', async () => {
    // The step's command line is in the runner's arguments from its spawn on, before the sandbox's
    // first process has reported its pid: a ctrl-c from a caller that waits for the step in /proc
    // (as the build-faults e2e test does) lands in that window.
    for (let attempt = 0; attempt < 8; attempt++) {
      const { spec, sleepArgv } = await sleeper('dir');
      const marker = sleepArgv[1] as string;
      const controller = new AbortController();
      const running = capture({ ...spec, signal: controller.signal });
      expect(await until(() => commandLinesWith(marker) > 0, 30_000, 1)).toBe(true);
      controller.abort();
      const outcome = await Promise.race([running, sleep(20_000).then(() => 'hung' as const)]);
      expect(outcome, `attempt ${attempt}`).toMatchObject({ exitCode: 137 });
      await expectNothingLeft(spec, sleepArgv);
    }
  });

  it.each(['dir', 'overlay'] as const)(
    'kill -9 of devenv leaves nothing running or mounted (%s root)',
    async (kind) => {
      const { spec, sleepArgv } = await sleeper(kind);
      const child = spawn(
        process.execPath,
        [childScript(new URL('./helpers/sandbox-child.ts', import.meta.url)), JSON.stringify(spec)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      const closed = new Promise((resolve) => child.once('close', resolve));
      expect(
        await until(() => out.includes('started') && processesRunning(sleepArgv).length === 1, 60_000),
        err,
      ).toBe(true);
      child.kill('SIGKILL');
      await closed;
      await expectNothingLeft(spec, sleepArgv);
    },
  );
});
