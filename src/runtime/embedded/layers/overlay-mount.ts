/**
 * Temporary overlayfs mounts that only this process can see. A shell started by
 * `unshare -m --propagation private` mounts them in its own mount namespace and waits on stdin; we reach
 * the mounted trees through `/proc/<pid>/root`. The mounts never appear on the host, and when this
 * process dies, stdin closes, the shell exits and the kernel tears the namespace down.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, realpath, rm, writeFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';
import { awaitReady } from '../../../util/ready-child.js';
import { removeTree } from '../../../util/remove-tree.js';

/** One overlay: lower dirs top first, plus an upper and work dir unless it is read-only. */
export interface OverlaySpec {
  lowers: readonly string[];
  upper?: string | undefined;
  work?: string | undefined;
  /** Absolute, symlink-free mountpoint (mount runs with `-c`, no canonicalization). */
  target: string;
}

/** Mounted overlays; `paths[i]` reaches the tree of spec `i` from this process. */
export interface OverlayView {
  paths: string[];
  /** Unmounts and waits for the namespace to go away. */
  close(): Promise<void>;
}

/** Mount options for `spec` (docs/embedded-runtime.md#overlay-mounts); paths under `cwd` are made relative to keep them short. */
export function overlayOptions(spec: OverlaySpec, cwd?: string): string {
  const short = (dir: string) => {
    if (/[,:\\]/.test(dir)) throw new DevenvError('DEVENV_STORE', `overlay path ${dir} contains , : or \\`);
    if (cwd === undefined) return dir;
    const rel = path.relative(cwd, dir);
    return rel.length < dir.length ? rel : dir;
  };
  const options = ['redirect_dir=off', 'metacopy=off'];
  // Older kernels have no index feature and refuse the option.
  if (existsSync('/sys/module/overlay/parameters/index')) options.unshift('index=off');
  options.push(`lowerdir=${spec.lowers.map(short).join(':')}`);
  if (spec.upper !== undefined && spec.work !== undefined)
    options.push(`upperdir=${short(spec.upper)}`, `workdir=${short(spec.work)}`);
  return options.join(',');
}

const SCRIPT = `
while [ $# -gt 0 ]; do mount -c -t overlay overlay -o "$1" "$2" || exit 3; shift 2; done
echo ready
read -r _ || true
`;

/** Mounts `specs` in a private mount namespace; throws `DEVENV_RUNTIME_FAILED` with mount's stderr. */
export async function openOverlays(specs: readonly OverlaySpec[], cwd?: string): Promise<OverlayView> {
  const args = specs.flatMap((spec) => [overlayOptions(spec, cwd), spec.target]);
  const child = childProcess().spawn(
    'unshare',
    ['-m', '--propagation', 'private', '--', 'sh', '-c', SCRIPT, 'sh', ...args],
    {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const { ready, exited, stderr } = await awaitReady(child);
  if (!ready || child.pid === undefined) {
    const code = await exited;
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `mounting a temporary overlay failed (exit ${code}): ${stderr().trim()}`,
      {
        hint: 'The embedded runtime needs overlayfs; on filesystems without it, use the flatten layer mode.',
      },
    );
  }
  const pid = child.pid;
  return {
    paths: specs.map((spec) => `/proc/${pid}/root${spec.target}`),
    close: async () => {
      child.stdin.on('error', () => undefined);
      child.stdin.end();
      const code = await exited;
      if (code !== 0)
        throw new DevenvError('DEVENV_RUNTIME_FAILED', `overlay helper exited ${code}: ${stderr().trim()}`);
    },
  };
}

/**
 * Whether overlayfs with kernel-made whiteouts works on the filesystem of `dir` (which must exist):
 * mounts a scratch overlay there in a private namespace, deletes a lower file through it and checks
 * that a char 0:0 whiteout appeared. False means: use flatten mode.
 */
export async function overlaySupported(dir: string): Promise<boolean> {
  let base: string | undefined;
  try {
    base = await mkdtemp(path.join(await realpath(dir), '.overlay-probe-'));
    for (const sub of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(base, sub));
    await writeFile(path.join(base, 'lower', 'f'), '');
    const spec = {
      lowers: [path.join(base, 'lower')],
      upper: path.join(base, 'upper'),
      work: path.join(base, 'work'),
      target: path.join(base, 'merged'),
    };
    const view = await openOverlays([spec]);
    try {
      await rm(path.join(view.paths[0] as string, 'f'));
    } finally {
      await view.close();
    }
    const whiteout = await lstat(path.join(base, 'upper', 'f'));
    return whiteout.isCharacterDevice() && whiteout.rdev === 0;
  } catch {
    return false;
  } finally {
    if (base !== undefined) await removeTree(base);
  }
}
