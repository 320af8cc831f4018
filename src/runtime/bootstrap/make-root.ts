/**
 * Making a bootstrap base's root filesystem as one tarball, for either runtime to import:
 * `mmdebstrap` where it is installed (it writes the tarball itself, and is faster), else
 * `debootstrap` into a folder that is then packed with tar. The tarball appears under its final name
 * only when complete, so an interrupted bootstrap never passes for a finished one.
 */
import { access, constants, mkdtemp, readdir, rm } from '../../util/fs-async.js';
import path from '../../util/node-path.js';
import { createInterface } from 'node:readline';
import { DevenvError } from '../../errors.js';
import { commitPartial, tempNameFor } from '../../util/atomic.js';
import { childProcess } from '../../util/child-process.js';
import { interruption } from '../../util/interrupt.js';
import type { EventSink } from '../events.js';
import type { BootstrapSpec } from './bootstrap-key.js';

/** A slow mirror on a loaded machine takes minutes; only a hung one takes this long. */
export const BOOTSTRAP_TIMEOUT_MS = 30 * 60_000;
const KILL_GRACE_MS = 5_000;
const TAIL_LINES = 12;

/** The tools that make a root filesystem, in order of preference. */
export type BootstrapTool = 'mmdebstrap' | 'debootstrap';

/** What {@link makeRootTarball} needs. */
export interface RootTarballRequest {
  spec: BootstrapSpec;
  /** Where the finished tarball goes. */
  out: string;
  /** The caller's environment (PATH finds the tools). */
  env: Readonly<Record<string, string | undefined>>;
  /** Proxy values; they reach the tool through its environment only. */
  proxyArgs: Readonly<Record<string, string>>;
  onEvent: EventSink;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** Where Debian installs debootstrap: folders a non-root user's PATH often leaves out. */
const SBIN_DIRS = ['/usr/sbin', '/sbin'];

/** The tool's path: PATH first, then `extraDirs`. */
export async function findTool(
  name: BootstrapTool,
  env: Readonly<Record<string, string | undefined>>,
  extraDirs: readonly string[] = SBIN_DIRS,
): Promise<string | undefined> {
  const dirs = [...(env['PATH'] ?? '').split(':'), ...extraDirs].filter((d) => d !== '');
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

/** The tool to use, or the error naming the package to install. */
export async function chooseTool(
  env: Readonly<Record<string, string | undefined>>,
  extraDirs: readonly string[] = SBIN_DIRS,
): Promise<{ name: BootstrapTool; file: string }> {
  for (const name of ['mmdebstrap', 'debootstrap'] as const) {
    const file = await findTool(name, env, extraDirs);
    if (file !== undefined) return { name, file };
  }
  throw new DevenvError(
    'DEVENV_RUNTIME_MISSING',
    'a bootstrap base needs mmdebstrap or debootstrap, and neither is installed',
    { hint: 'install one: apt-get install mmdebstrap (or apt-get install debootstrap)' },
  );
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

interface ToolRun {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Runs one tool in its own process group, its output lines as `build:output` events; a timeout or
 * an abort ends the whole group (debootstrap's chroot'ed dpkg and apt included).
 */
function runTool(run: ToolRun, request: RootTarballRequest, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(run.file, run.args, {
      env: run.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const tail: string[] = [];
    const onLine = (line: string) => {
      request.onEvent({ type: 'build:output', line });
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    let stopped: 'timeout' | 'interrupt' | undefined;
    let grace: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const stop = (why: 'timeout' | 'interrupt') => {
      if (stopped !== undefined) return;
      stopped = why;
      killGroup('SIGTERM');
      grace = setTimeout(() => {
        killGroup('SIGKILL');
      }, KILL_GRACE_MS);
    };
    const timeoutMs = request.timeoutMs ?? BOOTSTRAP_TIMEOUT_MS;
    const timer = setTimeout(() => {
      stop('timeout');
    }, timeoutMs);
    const onAbort = () => {
      stop('interrupt');
    };
    if (request.signal?.aborted === true) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      request.signal?.removeEventListener('abort', onAbort);
      if (stopped === 'interrupt' && request.signal !== undefined) {
        reject(interruption(request.signal));
      } else if (stopped === 'timeout') {
        reject(
          new DevenvError(
            'DEVENV_TIMEOUT',
            `${what} did not finish within ${duration(timeoutMs)}; devenv stopped it`,
            { hint: 'is the mirror reachable and answering? Set base.mirror in devenv.yml to a closer one' },
          ),
        );
      } else if (code !== 0 || spawnError !== undefined) {
        const how =
          spawnError?.message ?? (code === null ? `killed by ${signal ?? 'a signal'}` : `exit code ${code}`);
        reject(
          new DevenvError(
            'DEVENV_RUNTIME_FAILED',
            `${what} failed (${how})${tail.length > 0 ? `:\n${tail.join('\n')}` : ''}`,
            {
              hint: 'check that the mirror serves this suite for this architecture (set base.mirror in devenv.yml to another), and that devenv runs as root',
              cause: spawnError,
            },
          ),
        );
      } else resolve();
    });
  });
}

/**
 * Makes the root filesystem of `request.spec` as a tar at `request.out` (numeric owners, xattrs
 * kept), replacing nothing until it is complete. Returns the tool used.
 */
export async function makeRootTarball(request: RootTarballRequest): Promise<BootstrapTool> {
  const { spec } = request;
  const tool = await chooseTool(request.env);
  const name = `${spec.distribution}:${spec.suite}`;
  const what = `${tool.name} of ${name} from ${spec.mirror}`;
  request.onEvent({ type: 'info', message: `bootstrapping ${name} from ${spec.mirror} with ${tool.name}` });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...request.env, ...request.proxyArgs }))
    if (v !== undefined) env[k] = v;
  const partial = tempNameFor(request.out);
  try {
    if (tool.name === 'mmdebstrap') {
      const args = [`--variant=${spec.variant}`, '--format=tar', spec.suite, partial, spec.mirror];
      await runTool({ file: tool.file, args, env }, request, what);
    } else {
      await debootstrapToTar(tool.file, partial, env, request, what);
    }
    await commitPartial(partial, request.out);
  } finally {
    await rm(partial, { force: true });
  }
  return tool.name;
}

/** mmdebstrap leaves no package lists or apt caches behind; the same base from debootstrap should not either. */
async function dropAptCaches(root: string): Promise<void> {
  const lists = path.join(root, 'var/lib/apt/lists');
  for (const name of await readdir(lists).catch(() => [] as string[]))
    if (name !== 'lock' && name !== 'partial')
      await rm(path.join(lists, name), { recursive: true, force: true });
  const cache = path.join(root, 'var/cache/apt');
  for (const name of await readdir(cache).catch(() => [] as string[]))
    if (name.endsWith('.bin')) await rm(path.join(cache, name), { force: true });
}

/** debootstrap into a folder beside `partial`, then tar that folder into `partial`. */
async function debootstrapToTar(
  file: string,
  partial: string,
  env: Record<string, string>,
  request: RootTarballRequest,
  what: string,
): Promise<void> {
  const { spec } = request;
  const root = await mkdtemp(`${partial}.root-`);
  try {
    const args = [`--variant=${spec.variant}`, spec.suite, root, spec.mirror];
    await runTool({ file, args, env }, request, what);
    await dropAptCaches(root);
    const tar = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', root, '-cf', partial, '.'];
    await runTool(
      { file: 'tar', args: tar, env },
      request,
      `packing the ${spec.distribution}:${spec.suite} root`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
