/**
 * The sandbox (docs/embedded-runtime.md#sandbox): one process in a root filesystem made of image
 * layers, in its own mount, PID, UTS and IPC namespaces, with Docker's user, capability and
 * filesystem setup, and nothing left mounted or running afterwards. The builder runs every RUN step
 * in one; containers are built on the same primitive.
 */

/** What to run and how; see docs/embedded-runtime.md#sandbox for the steps. */
export interface SandboxSpec {
  /** The root filesystem: overlay lower dirs (top first) + an upper and a work dir (all absolute, on one filesystem), or one plain directory used as is (flatten mode / tests). */
  rootfs:
    | { kind: 'overlay'; lowers: readonly string[]; upper: string; work: string }
    | { kind: 'dir'; dir: string };
  /** argv, run as is (no shell added); resolved with the PATH of `env` inside the root. */
  argv: readonly string[];
  /** The complete environment, `K=V` (the caller adds PATH etc.; the sandbox adds HOSTNAME only if absent). */
  env: readonly string[];
  /** Absolute working directory inside the root; created (owned by the user) when missing, as Docker does. */
  cwd: string;
  /** Docker's USER forms: '' (root), 'name', 'uid', 'name:group', 'uid:gid', 'name:gid'… resolved from the root's /etc/passwd and /etc/group as Docker does (supplementary groups from /etc/group; a numeric uid with no passwd entry is fine; an unknown name is a DevenvError naming the user and the image's passwd). */
  user: string;
  network: 'host' | 'none';
  hostname: string;
  /** Contents of /etc/resolv.conf and /etc/hosts inside; default: copies of the host's (with network none: a loopback-only hosts file). Bind-mounted over the image's files, never written into the rootfs. */
  resolvConf?: string | undefined;
  hosts?: string | undefined;
  /** Host paths bind-mounted in (for the next issue's containers; the builder uses none). */
  binds?: readonly { source: string; target: string; readonly: boolean }[] | undefined;
  /** Capability bounding set; default Docker's 14 (CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE). */
  capabilities?: readonly string[] | undefined;
  /** stdin: 'ignore' or a Readable piped in. stdout/stderr: 'inherit' (the CLI's own) or callbacks receiving chunks. */
  stdin?: 'ignore' | NodeJS.ReadableStream | undefined;
  output: 'inherit' | { stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void };
  /** Aborting kills every process of the sandbox (the whole PID namespace) and resolves with 128+9. */
  signal?: AbortSignal | undefined;
  /** Folder for the sandbox's own scratch files (hosts, resolv.conf, hostname); removed afterwards. */
  scratchDir: string;
}

/** How the sandboxed program ended. */
export interface SandboxResult {
  exitCode: number;
  /** set when the process died of a signal (exitCode is then 128+n) */
  signal?: NodeJS.Signals | undefined;
}

export { runInSandbox } from './run-sandbox.js';
export { sandboxSupport } from './support.js';
export { DOCKER_CAPABILITIES } from './capabilities.js';
