/**
 * The setup steps of a sandbox, in order, as data: what the setup script (setup-script.ts) runs as
 * the new PID namespace's first process before it drops to the user. Pure, so the order and the
 * options are tested without root. Every target is an absolute path in the sandbox's own mount
 * namespace: the root plus a path prepareRoot resolved in-root, or a fresh tmpfs devenv just made.
 */
import type { CheckedDevice } from './devices.js';
import type { HostMasks } from './masks.js';
import type { PreparedRoot } from './prepare-root.js';
import { TOOLBOX_DIR } from './toolbox.js';
import type { ToolboxFile } from './toolbox.js';

/** One step: `op` and four operands (`-` when unused), with `what` naming it in errors. */
export interface SetupStep {
  op:
    | 'rootbind'
    | 'mount'
    | 'bind'
    | 'rbind'
    | 'file'
    | 'dir'
    | 'link'
    | 'hostname'
    | 'lo'
    | 'console'
    | 'readonly'
    | 'moveroot';
  what: string;
  /** mount: fstype; others: unused. */
  a: string;
  /** mount: options; bind: remount options or `-`. */
  b: string;
  /** mount: source; bind, rbind: host source; link: the link's value; hostname: the name. */
  c: string;
  /** The target path. */
  d: string;
}

/** Host device nodes bound into `/dev`, as Docker provides them. */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

/** Scratch files bound over the image's /etc files. */
export interface ScratchFiles {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

/** Everything the plan depends on besides the prepared root. */
export interface MountPlanInput {
  /** The root filesystem's absolute path in the sandbox's mount namespace. */
  root: string;
  prepared: PreparedRoot;
  scratch: ScratchFiles;
  hostname: string;
  network: 'host' | 'none' | 'private';
  /** Docker's privileged mode: /sys read-write, no masks (the host's devices come in `devices`). */
  privileged: boolean;
  /** The masks that exist on the host (ignored when privileged). */
  masks: HostMasks;
  /** Host devices to bind under /dev, checked. */
  devices: readonly CheckedDevice[];
  /** The host's tini, bound read-only at /dev/init, or undefined for no init. */
  init: string | undefined;
  /** Whether the program runs on a pty, which is then bound onto /dev/console. */
  tty: boolean;
  /** Host files of the toolbox (toolbox.ts), bound read-only under /dev/.devenv; none for builds. */
  toolbox: readonly ToolboxFile[];
}

const step = (op: SetupStep['op'], what: string, a = '-', b = '-', c = '-', d = '-'): SetupStep => ({
  op,
  what,
  a,
  b,
  c,
  d,
});

/**
 * The steps, in the order they must run (/proc first: later steps read nothing from it). What is
 * created in the fresh /dev comes before what is mounted there, and the toolbox's files before their
 * binds, so that the setup script can make each run of mounts one `mount -a` (setup-script.ts).
 */
export function mountPlan(input: MountPlanInput): SetupStep[] {
  const { root, prepared } = input;
  const at = (rel: string) => `${root}/${rel}`;
  const dev = at(prepared.dev);
  const box = `${dev}/${TOOLBOX_DIR.slice('dev/'.length)}`;
  const toolbox = input.toolbox.length > 0;
  const steps: SetupStep[] = [
    // The root must be a mount of its own to be moved over / at the end.
    step('rootbind', 'binding the root onto itself', '-', '-', root, root),
    step('mount', 'mounting /proc', 'proc', 'nosuid,nodev,noexec', 'proc', at(prepared.proc)),
    step('mount', 'mounting /dev', 'tmpfs', 'nosuid,nodev,mode=755,size=65536k', 'tmpfs', dev),
    // The fresh /dev's own entries: the mount points, then the links.
    ...DEVICES.map((name) => step('file', `creating /dev/${name}`, '-', '-', '-', `${dev}/${name}`)),
    ...(input.init === undefined ? [] : [step('file', 'creating /dev/init', '-', '-', '-', `${dev}/init`)]),
    ...(input.tty ? [step('file', 'creating /dev/console', '-', '-', '-', `${dev}/console`)] : []),
    step('dir', 'creating /dev/pts', '-', '-', '-', `${dev}/pts`),
    step('dir', 'creating /dev/shm', '-', '-', '-', `${dev}/shm`),
    step('dir', 'creating /dev/mqueue', '-', '-', '-', `${dev}/mqueue`),
    ...(toolbox ? [step('dir', 'creating the toolbox', '-', '-', '-', box)] : []),
    step('link', 'linking /dev/ptmx', '-', '-', 'pts/ptmx', `${dev}/ptmx`),
    step('link', 'linking /dev/fd', '-', '-', '/proc/self/fd', `${dev}/fd`),
    step('link', 'linking /dev/stdin', '-', '-', '/proc/self/fd/0', `${dev}/stdin`),
    step('link', 'linking /dev/stdout', '-', '-', '/proc/self/fd/1', `${dev}/stdout`),
    step('link', 'linking /dev/stderr', '-', '-', '/proc/self/fd/2', `${dev}/stderr`),
  ];
  if (input.tty)
    steps.push(step('console', 'binding the terminal at /dev/console', '-', '-', '-', `${dev}/console`));
  for (const name of DEVICES)
    steps.push(step('bind', `binding /dev/${name}`, '-', '-', `/dev/${name}`, `${dev}/${name}`));
  steps.push(
    step(
      'mount',
      'mounting /dev/pts',
      'devpts',
      'newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec',
      'devpts',
      `${dev}/pts`,
    ),
    step(
      'mount',
      'mounting /dev/shm',
      'tmpfs',
      'nosuid,nodev,noexec,mode=1777,size=65536k',
      'shm',
      `${dev}/shm`,
    ),
    step('mount', 'mounting /dev/mqueue', 'mqueue', 'nosuid,nodev,noexec', 'mqueue', `${dev}/mqueue`),
    step(
      'mount',
      'mounting /sys',
      'sysfs',
      `${input.privileged ? 'rw' : 'ro'},nosuid,nodev,noexec`,
      'sysfs',
      at(prepared.sys),
    ),
    step('bind', 'mounting /etc/hosts', '-', '-', input.scratch.hosts, at(prepared.hosts)),
    step('bind', 'mounting /etc/resolv.conf', '-', '-', input.scratch.resolvConf, at(prepared.resolvConf)),
    step('bind', 'mounting /etc/hostname', '-', '-', input.scratch.hostname, at(prepared.hostname)),
  );
  for (const bind of prepared.binds)
    steps.push(
      step(
        'bind',
        `mounting ${bind.source} at /${bind.target}`,
        '-',
        bind.readonly ? 'ro,nosuid,nodev' : '-',
        bind.source,
        at(bind.target),
      ),
    );
  if (input.init !== undefined)
    steps.push(
      step('bind', 'binding the init at /dev/init', '-', 'ro,nosuid,nodev', input.init, `${dev}/init`),
    );
  steps.push(...deviceSteps(input, dev), ...toolboxSteps(input, box));
  if (!input.privileged) steps.push(...maskSteps(input));
  if (toolbox) steps.push(step('readonly', 'making the toolbox read-only', '-', '-', '-', box));
  steps.push(step('hostname', 'setting the hostname', '-', '-', input.hostname));
  if (input.network !== 'host') steps.push(step('lo', 'bringing up the loopback interface'));
  // Last: the root goes over the namespace's /, so that nothing of the host's tree is left above
  // it. A process that escapes a chroot inside (root has SYS_CHROOT, as on Docker) climbs back
  // into the root: `..` of the namespace's top is the top itself.
  steps.push(step('moveroot', 'moving the root over /', '-', '-', '-', root));
  return steps;
}

/**
 * The toolbox: a tmpfs at /dev/.devenv (its folder made with /dev's) with the host files bound
 * read-only; the plan makes it read-only once the masks are in place too.
 */
function toolboxSteps(input: MountPlanInput, box: string): SetupStep[] {
  if (input.toolbox.length === 0) return [];
  return [
    step('mount', 'mounting the toolbox', 'tmpfs', 'nosuid,nodev,mode=755,size=64k', 'toolbox', box),
    ...input.toolbox.map((file) =>
      step('file', `creating the toolbox's ${file.name}`, '-', '-', '-', `${box}/${file.name}`),
    ),
    ...input.toolbox.map((file) =>
      step(
        'bind',
        `binding ${file.source} into the toolbox`,
        '-',
        'ro,nosuid,nodev',
        file.source,
        `${box}/${file.name}`,
      ),
    ),
  ];
}

/**
 * The devices under /dev: their folders, then their files, then the binds, so that the binds are
 * one run of mounts. Every target is in the fresh /dev tmpfs (whose only links are the sandbox's
 * own, which device targets may not pass through), so the folders a nested target needs are
 * created there, never in the image.
 */
function deviceSteps(input: MountPlanInput, dev: string): SetupStep[] {
  const dirs: SetupStep[] = [];
  const files: SetupStep[] = [];
  const binds: SetupStep[] = [];
  const made = new Set<string>();
  for (const device of input.devices) {
    const parts = device.target.split('/');
    for (let n = 1; n < parts.length; n++) {
      const parent = parts.slice(0, n).join('/');
      if (made.has(parent)) continue;
      made.add(parent);
      dirs.push(step('dir', `creating /dev/${parent}`, '-', '-', '-', `${dev}/${parent}`));
    }
    const target = `${dev}/${device.target}`;
    const what = `binding the device ${device.source} at /dev/${device.target}`;
    if (device.kind === 'node') {
      files.push(step('file', `creating /dev/${device.target}`, '-', '-', '-', target));
      // No remount: a device node has no use for mount flags, and a privileged sandbox binds a hundred.
      binds.push(step('bind', what, '-', '-', device.source, target));
    } else {
      dirs.push(step('dir', `creating /dev/${device.target}`, '-', '-', '-', target));
      binds.push(step('rbind', what, '-', '-', device.source, target));
    }
  }
  return [...dirs, ...files, ...binds];
}

/** Docker's masks and read-only paths, for those the host has. */
function maskSteps(input: MountPlanInput): SetupStep[] {
  const { root, prepared } = input;
  const inRoot = (p: string) =>
    p.startsWith('/proc/')
      ? `${root}/${prepared.proc}/${p.slice('/proc/'.length)}`
      : `${root}/${prepared.sys}/${p.slice('/sys/'.length)}`;
  const steps: SetupStep[] = input.masks.masked.map((masked) =>
    masked.dir
      ? step(
          'mount',
          `masking ${masked.path}`,
          'tmpfs',
          'ro,nosuid,nodev,noexec',
          'tmpfs',
          inRoot(masked.path),
        )
      : step('bind', `masking ${masked.path}`, '-', '-', '/dev/null', inRoot(masked.path)),
  );
  for (const p of input.masks.readonly)
    steps.push(step('bind', `making ${p} read-only`, '-', 'ro,nosuid,nodev,noexec', inRoot(p), inRoot(p)));
  return steps;
}

/** The steps as the setup script's arguments: six per step. */
export function planArgs(steps: readonly SetupStep[]): string[] {
  return steps.flatMap((s) => [s.op, s.what, s.a, s.b, s.c, s.d]);
}
