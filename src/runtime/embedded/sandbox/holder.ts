/**
 * The holder process of a sandbox (HOLDER_SCRIPT): owns the mount namespace in which the root is
 * mounted, lets devenv prepare the root through `/proc/<pid>/root`, and kills the sandbox's first
 * process if devenv dies while the sandbox runs.
 */
import { DevenvError } from '../../../errors.js';
import { childProcess } from '../../../util/child-process.js';
import { awaitReady } from '../../../util/ready-child.js';
import { HOLDER_SCRIPT } from './setup-script.js';
import { HOST_PATH } from './host-tools.js';
import type { HostTools } from './host-tools.js';

/** A running holder. */
export interface Holder {
  pid: number;
  /** Where this process sees the holder's `path`. */
  view(path: string): string;
  /** Tells the holder which process to kill should devenv die from now on. */
  arm(initPid: number): void;
  /** Tells the holder the sandbox ended and waits for it (and its mount namespace) to go. */
  close(): Promise<void>;
}

/**
 * Starts a holder. With `overlayOptions` it mounts the overlay at `mountPoint`, running in `cwd` so
 * the options may use short relative paths; failures are `DEVENV_RUNTIME_FAILED` with mount's stderr.
 */
export async function startHolder(
  tools: HostTools,
  overlayOptions: string,
  mountPoint: string,
  cwd: string | undefined,
): Promise<Holder> {
  const child = childProcess().spawn(
    tools.unshare,
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      tools.bash,
      '-c',
      HOLDER_SCRIPT,
      'sh',
      overlayOptions,
      mountPoint,
    ],
    { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: HOST_PATH } },
  );
  child.stdin.on('error', () => undefined);
  const { ready, exited, stderr } = await awaitReady(child);
  if (!ready || child.pid === undefined) {
    const code = await exited;
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      `sandbox setup failed while mounting the root filesystem at ${mountPoint} (exit ${code}): ${stderr().trim()}`,
      {
        hint: 'The embedded runtime needs overlayfs here; on filesystems without it, use the flatten layer mode.',
      },
    );
  }
  const pid = child.pid;
  let closed = false;
  let armed = false;
  return {
    pid,
    view: (path) => `/proc/${pid}/root${path}`,
    arm: (initPid) => {
      armed = true;
      child.stdin.write(`${initPid}\n`);
    },
    close: async () => {
      if (!closed) {
        closed = true;
        // An unarmed holder first reads the pid line; 0 names no process.
        child.stdin.end(armed ? 'done\n' : '0\ndone\n');
      }
      await exited;
    },
  };
}
