/**
 * The sandbox (docs/embedded-runtime.md#sandbox): one process in a root filesystem made of image
 * layers, in its own mount, PID, UTS and IPC namespaces, with Docker's user, capability and
 * filesystem setup, and nothing left mounted or running afterwards. The builder runs every RUN step
 * in one to completion (`runInSandbox`); containers start one and keep its handle (`startSandbox`),
 * with an init, a pty, devices and a private network hook.
 */
import type { DeviceSpec } from './devices.js';

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
  /**
   * `host`: the host's network. `none`: an own network namespace with only `lo`, up. `private`: the
   * same, for the caller to connect in `beforeStart` (slirp4netns attaches to the pid it gets).
   */
  network: 'host' | 'none' | 'private';
  /**
   * Awaited once PID 1 exists with its namespaces (`pid` is its host pid) and before any mount step
   * or the program runs, for every network mode. A rejection kills the sandbox, and `startSandbox`
   * (or `runInSandbox`) rejects with that error.
   */
  beforeStart?: ((pid: number) => Promise<void>) | undefined;
  /** Runs the host's tini (Debian package tini) as PID 1 in front of argv, bound read-only at /dev/init: it reaps zombies, passes signals on to the program's process group and exits with the program's status. */
  init?: boolean | undefined;
  /** Runs the program on a fresh pty of this size (stdout and stderr merged into `output.stdout`; the input stays open until the program ends, even when the `stdin` stream does: send ^D to end it). */
  tty?: { rows: number; cols: number } | undefined;
  /** Host devices bound in under /dev: a char or block `node` onto its own file, or a `tree` (a folder such as /dev/bus/usb) bound recursively so that a device the host adds later shows up. The only mounts allowed under /dev. */
  devices?: readonly DeviceSpec[] | undefined;
  /** Docker's privileged mode: every capability, /sys writable, nothing masked in /proc or /sys, and the host's devices (char and block nodes directly under /dev, and /dev/bus, dri, snd, input). Ignores `capabilities`. */
  privileged?: boolean | undefined;
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
  /** Aborting kills every process of the sandbox (the whole PID namespace) and resolves with 128+9 (`startSandbox` rejects when it comes before the start). */
  signal?: AbortSignal | undefined;
  /** Folder for the sandbox's own scratch files (hosts, resolv.conf, hostname); removed afterwards. */
  /** Mount the read-only toolbox at /dev/.devenv that `exec` into a running sandbox needs (toolbox.ts). */
  toolbox?: boolean | undefined;
  scratchDir: string;
}

/** How the sandboxed program ended. */
export interface SandboxResult {
  exitCode: number;
  /** set when the process died of a signal (exitCode is then 128+n) */
  signal?: NodeJS.Signals | undefined;
}

/** A started sandbox. */
export interface RunningSandbox {
  /** Host pid of the sandbox's PID 1 (tini when `init` is set, else the program): what `nsenter --target` joins. */
  pid: number;
  /** Where the root filesystem was mounted before the setup moved it over the namespace's `/` (exec enters it through `/proc/PID/root`). */
  root: string;
  /** The resolved user of the program (uid, gid, groups), for exec defaults. */
  user: { uid: number; gid: number; groups: number[] };
  /** Resolves when PID 1 has exited and everything (holder, mounts, scratch) is gone. Never rejects after start. */
  done: Promise<SandboxResult>;
  /** Sends `signal` to PID 1 (its host pid); SIGKILL ends the whole PID namespace. */
  kill(signal: NodeJS.Signals): void;
  /** tty sandboxes only: sets the pty size (the program gets SIGWINCH). */
  resize(rows: number, cols: number): Promise<void>;
}

export type { DeviceSpec } from './devices.js';
export { runInSandbox, startSandbox } from './run-sandbox.js';
export { sandboxSupport } from './support.js';
export { ALL_CAPABILITIES, DOCKER_CAPABILITIES } from './capabilities.js';
export { TOOLBOX_DIR, toolboxCommand } from './toolbox.js';
