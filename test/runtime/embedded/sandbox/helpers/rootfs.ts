/**
 * Root filesystems for sandbox tests, made in the test from the host's busybox-static: bin/busybox
 * with its applet links, and /etc/passwd and /etc/group with a user `dev` (1000) that is a member of
 * `staff` (50). Also a runner that collects a sandbox's output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runInSandbox, startSandbox } from '../../../../../src/runtime/embedded/sandbox/index.js';
import type {
  RunningSandbox,
  SandboxResult,
  SandboxSpec,
} from '../../../../../src/runtime/embedded/sandbox/index.js';
import { removeTree } from '../../../../../src/util/remove-tree.js';
import { afterAll, beforeAll } from 'vitest';

/** The host's static busybox (Debian package busybox-static). */
export const BUSYBOX = '/bin/busybox';

/** True when the host has the busybox these tests copy into a root. */
export const hasBusybox = existsSync(BUSYBOX);

export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000:dev:/home/dev:/bin/sh\n';
export const GROUP = 'root:x:0:\nstaff:x:50:dev\ndev:x:1000:\n';

/** Writes a busybox root at `dir` (created). */
export async function makeBusyboxRoot(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await mkdir(path.join(dir, 'etc'));
  await copyFile(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n');
  for (const applet of applets)
    if (applet !== '' && applet !== 'busybox') await symlink('busybox', path.join(dir, 'bin', applet));
  await writeFile(path.join(dir, 'etc', 'passwd'), PASSWD);
  await writeFile(path.join(dir, 'etc', 'group'), GROUP);
}

/** A scratch folder under the OS temp dir, removed by `cleanup`. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devenv-sandbox-test-'));
  return { dir, cleanup: () => removeTree(dir) };
}

/** What a sandboxed program printed, and how it ended. */
export interface Captured extends SandboxResult {
  stdout: string;
  stderr: string;
}

/** Runs `spec` (with piped output) and collects the output. */
export async function capture(spec: Omit<SandboxSpec, 'output'>): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const result = await runInSandbox({
    ...spec,
    output: {
      stdout: (chunk) => {
        stdout += chunk.toString();
      },
      stderr: (chunk) => {
        stderr += chunk.toString();
      },
    },
  });
  return { ...result, stdout, stderr };
}

/** A started sandbox with its output so far. */
export interface Started {
  sandbox: RunningSandbox;
  /** stdout so far (with a tty: the pty's output). */
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text` (rejects after `ms`). */
  waitFor: (text: string | RegExp, ms?: number) => Promise<string>;
}

/** Starts `spec` (with piped output) and collects the output. */
export async function startCaptured(spec: Omit<SandboxSpec, 'output'>): Promise<Started> {
  let stdout = '';
  let stderr = '';
  const sandbox = await startSandbox({
    ...spec,
    output: {
      stdout: (chunk) => {
        stdout += chunk.toString();
      },
      stderr: (chunk) => {
        stderr += chunk.toString();
      },
    },
  });
  const waitFor = async (text: string | RegExp, ms = 20_000) => {
    const end = Date.now() + ms;
    const seen = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
    while (!seen()) {
      if (Date.now() > end)
        throw new Error(`waited ${ms} ms for ${String(text)}; stdout so far: ${JSON.stringify(stdout)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return stdout;
  };
  return { sandbox, stdout: () => stdout, stderr: () => stderr, waitFor };
}

/** Host pids whose command line is exactly `argv`. */
export function processesRunning(argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((name) => /^[0-9]+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Host pids with `text` anywhere in their command line or as their root or working directory. */
export function processesUsing(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^[0-9]+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        const links = ['root', 'cwd'].map((link) => {
          try {
            return readlinkSync(`/proc/${pid}/${link}`);
          } catch {
            return '';
          }
        });
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) || links.some((l) => l.startsWith(text))
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Lines of this process's mountinfo that mention `text`. */
export function hostMountsUnder(text: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(text));
}

/**
 * A busybox root at `<dir>/root` in a scratch folder, made before the describe block's tests and
 * removed after them; read `dir` and `root` inside tests and hooks.
 */
export function useBusyboxRoot(): { readonly dir: string; readonly root: string } {
  let tmp: Awaited<ReturnType<typeof scratch>> | undefined;
  beforeAll(async () => {
    tmp = await scratch();
    await makeBusyboxRoot(path.join(tmp.dir, 'root'));
  }, 60_000);
  afterAll(async () => {
    await tmp?.cleanup();
  });
  const dir = () => {
    if (tmp === undefined) throw new Error('useBusyboxRoot: read dir and root inside tests and hooks only');
    return tmp.dir;
  };
  return {
    get dir() {
      return dir();
    },
    get root() {
      return path.join(dir(), 'root');
    },
  };
}
