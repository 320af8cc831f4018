/**
 * The setup steps of a sandbox, in order, as data: what the setup script (setup-script.ts) runs as
 * the new PID namespace's first process before it drops to the user. Pure, so the order and the
 * options are tested without root. Every target is an absolute path in the sandbox's own mount
 * namespace: the root plus a path prepareRoot resolved in-root, or a fresh tmpfs devenv just made.
 */
import type { PreparedRoot } from './prepare-root.js';

/** One step: `op` and four operands (`-` when unused), with `what` naming it in errors. */
export interface SetupStep {
  op: 'mount' | 'bind' | 'file' | 'dir' | 'link' | 'hostname' | 'lo';
  what: string;
  /** mount: fstype; others: unused. */
  a: string;
  /** mount: options; bind: remount options or `-`. */
  b: string;
  /** mount: source; bind: host source; link: the link's value; hostname: the name. */
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
  network: 'host' | 'none';
}

const step = (op: SetupStep['op'], what: string, a = '-', b = '-', c = '-', d = '-'): SetupStep => ({
  op,
  what,
  a,
  b,
  c,
  d,
});

/** The steps, in the order they must run (/proc first: later steps read nothing from it). */
export function mountPlan(input: MountPlanInput): SetupStep[] {
  const { root, prepared } = input;
  const at = (rel: string) => `${root}/${rel}`;
  const dev = at(prepared.dev);
  const steps: SetupStep[] = [
    step('mount', 'mounting /proc', 'proc', 'nosuid,nodev,noexec', 'proc', at(prepared.proc)),
    step('mount', 'mounting /dev', 'tmpfs', 'nosuid,nodev,mode=755,size=65536k', 'tmpfs', dev),
  ];
  for (const name of DEVICES)
    steps.push(
      step('file', `creating /dev/${name}`, '-', '-', '-', `${dev}/${name}`),
      step('bind', `binding /dev/${name}`, '-', '-', `/dev/${name}`, `${dev}/${name}`),
    );
  steps.push(
    step('dir', 'creating /dev/pts', '-', '-', '-', `${dev}/pts`),
    step(
      'mount',
      'mounting /dev/pts',
      'devpts',
      'newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec',
      'devpts',
      `${dev}/pts`,
    ),
    step('link', 'linking /dev/ptmx', '-', '-', 'pts/ptmx', `${dev}/ptmx`),
    step('dir', 'creating /dev/shm', '-', '-', '-', `${dev}/shm`),
    step(
      'mount',
      'mounting /dev/shm',
      'tmpfs',
      'nosuid,nodev,noexec,mode=1777,size=65536k',
      'shm',
      `${dev}/shm`,
    ),
    step('link', 'linking /dev/fd', '-', '-', '/proc/self/fd', `${dev}/fd`),
    step('link', 'linking /dev/stdin', '-', '-', '/proc/self/fd/0', `${dev}/stdin`),
    step('link', 'linking /dev/stdout', '-', '-', '/proc/self/fd/1', `${dev}/stdout`),
    step('link', 'linking /dev/stderr', '-', '-', '/proc/self/fd/2', `${dev}/stderr`),
    step('mount', 'mounting /sys', 'sysfs', 'ro,nosuid,nodev,noexec', 'sysfs', at(prepared.sys)),
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
  steps.push(step('hostname', 'setting the hostname', '-', '-', input.hostname));
  if (input.network === 'none') steps.push(step('lo', 'bringing up the loopback interface'));
  return steps;
}

/** The steps as the setup script's arguments: six per step. */
export function planArgs(steps: readonly SetupStep[]): string[] {
  return steps.flatMap((s) => [s.op, s.what, s.a, s.b, s.c, s.d]);
}
