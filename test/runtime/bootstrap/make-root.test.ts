/**
 * Running the bootstrap tool for real (mmdebstrap, else debootstrap), against loopback mirrors that
 * refuse or hang: a missing tool names the package to install, a failure names suite and mirror with
 * the tool's last lines, and a timeout or an interrupt ends the tool's whole process group and leaves
 * no tarball, finished or partial.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevenvError } from '../../../src/errors.js';
import { chooseTool, makeRootTarball } from '../../../src/runtime/bootstrap/make-root.js';
import type { RuntimeEvent } from '../../../src/runtime/events.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const server of servers) server.close();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-bootstrap-test-'));
  dirs.push(dir);
  return dir;
}

const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
const haveTool = await chooseTool(env).then(
  () => true,
  () => false,
);

/** A mirror on loopback that accepts connections and never answers. */
async function hangingMirror(): Promise<string> {
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
}

async function failure(promise: Promise<unknown>): Promise<DevenvError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevenvError);
  return error as DevenvError;
}

/** Whether any process still runs the tool for this output folder. */
function toolStillRunning(dir: string): boolean {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

/** Runs the tool against a mirror that never answers until `limits` stop it; returns the error. */
async function stopped(limits: { signal?: AbortSignal; timeoutMs?: number }) {
  const dir = tempDir();
  const error = await failure(
    makeRootTarball({
      spec: {
        distribution: 'debian',
        suite: 'bookworm',
        variant: 'minbase',
        mirror: await hangingMirror(),
      },
      out: path.join(dir, 'rootfs.tar'),
      env,
      proxyArgs: {},
      onEvent: () => undefined,
      ...limits,
    }),
  );
  expect(toolStillRunning(dir)).toBe(false);
  expect(readdirSync(dir)).toEqual([]);
  return error;
}

describe('makeRootTarball', () => {
  it('names the package to install when neither tool is on PATH', async () => {
    const error = await failure(chooseTool({ PATH: tempDir() }, []));
    expect(error.code).toBe('DEVENV_RUNTIME_MISSING');
    expect(error.message).toContain('mmdebstrap or debootstrap');
    expect(error.hint).toContain('apt-get install mmdebstrap');
  });

  it.skipIf(!haveTool)(
    'a refused mirror fails naming suite and mirror, with the tool output as events and no tarball left',
    async () => {
      const dir = tempDir();
      const events: RuntimeEvent[] = [];
      const error = await failure(
        makeRootTarball({
          spec: {
            distribution: 'debian',
            suite: 'bookworm',
            variant: 'minbase',
            mirror: 'http://127.0.0.1:9/debian',
          },
          out: path.join(dir, 'rootfs.tar'),
          env,
          proxyArgs: {},
          onEvent: (event) => events.push(event),
        }),
      );
      expect(error.code).toBe('DEVENV_RUNTIME_FAILED');
      expect(error.message).toMatch(
        /^(mmdebstrap|debootstrap) of debian:bookworm from http:\/\/127\.0\.0\.1:9\/debian failed/,
      );
      expect(error.message.split('\n').length).toBeGreaterThan(1);
      expect(error.hint).toContain('base.mirror');
      expect(events[0]).toEqual({
        type: 'info',
        message: expect.stringMatching(
          /^bootstrapping debian:bookworm from http:\/\/127\.0\.0\.1:9\/debian with /,
        ) as string,
      });
      expect(events.some((e) => e.type === 'build:output')).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});

// As another user the tools stop at once (debootstrap needs root; mmdebstrap's unshare mode needs
// subordinate IDs), so they never reach the mirror these two stop them at.
describe.skipIf(!haveTool || process.getuid?.() !== 0)(
  'makeRootTarball, stopping a tool (needs root)',
  () => {
    it('an interrupt ends the tool and its children and leaves nothing behind', async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => {
        controller.abort();
      }, 1_500);
      const error = await stopped({ signal: controller.signal });
      expect(error.code).toBe('DEVENV_INTERRUPTED');
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('a mirror that never answers times out with a clear error', async () => {
      const error = await stopped({ timeoutMs: 1_500 });
      expect(error.code).toBe('DEVENV_TIMEOUT');
      expect(error.message).toContain('debian:bookworm');
      expect(error.message).toContain('within 2 s');
      expect(error.hint).toContain('base.mirror');
    });
  },
);
