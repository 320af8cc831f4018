/**
 * How a process joins a running container (docs/embedded-runtime.md#exec): util-linux `nsenter`
 * enters the namespaces of the container's PID 1 (mount, UTS, IPC, PID, and network when the
 * container has its own), which puts it in the container's root; the sandbox's read-only toolbox
 * there then drops it to the user, groups and capability bounding set of the exec, and runs the
 * command. With a terminal, util-linux `script` in front gives the command a fresh pty, so it never
 * holds the caller's own terminal (where TIOCSTI could type into the caller's shell).
 */
import { readFileSync } from 'node:fs';
import { DevenvError } from '../../../errors.js';
import { hostPath, resolveInRoot, tryLstat } from '../layers/resolve-in-root.js';
import { resolveUser } from '../sandbox/user.js';
import type { ResolvedUser } from '../sandbox/user.js';
import { TOOLBOX_DIR, toolboxCommand } from '../sandbox/toolbox.js';
import { HOST_PATH } from '../sandbox/host-tools.js';
import type { HostTools } from '../sandbox/host-tools.js';

/** Account files larger than this are not account files. */
const MAX_ACCOUNT_FILE = 4 * 1024 * 1024;

/** A regular file of the running container, read through its PID 1's root; undefined when absent. */
export function readContainerFile(pid: number, file: string): string | undefined {
  const root = `/proc/${pid}/root`;
  let rel: string;
  try {
    rel = resolveInRoot(root, file.replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  const info = tryLstat(hostPath(root, rel));
  if (info === undefined || !info.isFile() || info.size > MAX_ACCOUNT_FILE) return undefined;
  return readFileSync(hostPath(root, rel), 'utf8');
}

/** The exec's identity and home folder, from the container's own /etc/passwd and /etc/group. */
export function execUser(pid: number, user: string): ResolvedUser & { home: string } {
  const passwd = readContainerFile(pid, 'etc/passwd');
  const resolved = resolveUser(user, passwd, readContainerFile(pid, 'etc/group'), {
    passwd: '/etc/passwd',
    group: '/etc/group',
  });
  const entry = (passwd ?? '')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields.length >= 7 && Number(fields[2]) === resolved.uid);
  return { ...resolved, home: entry?.[5] !== undefined && entry[5] !== '' ? entry[5] : '/' };
}

/** What an exec needs to know about the container. */
export interface ExecTarget {
  pid: number;
  ownNetwork: boolean;
  capabilities: readonly string[];
  privileged: boolean;
  tools: HostTools;
}

/**
 * The command line that runs `command` in the container as `user`, in `workdir`, with exactly the
 * environment `env` (`K=V`): the host tools run with an empty one ({@link execLaunch} starts them so),
 * and the toolbox's env sets `env` for the command once it stands in the container's root
 * (toolbox.ts), so nothing of the caller's (or of `script`'s) environment reaches it, and nothing of
 * `env` reaches the tools.
 */
export function execArgv(
  target: ExecTarget,
  user: ResolvedUser,
  workdir: string,
  env: readonly string[],
  command: readonly string[],
  tty = false,
): string[] {
  if (command.length === 0) throw new DevenvError('DEVENV_USAGE', 'exec needs a command to run');
  return [
    target.tools.nsenter,
    `--target=${target.pid}`,
    '--mount',
    '--uts',
    '--ipc',
    '--pid',
    ...(target.ownNetwork ? ['--net'] : []),
    // Both opened before nsenter enters anything: the toolbox becomes the root, the container's root the cwd.
    `--root=/proc/${target.pid}/root/${TOOLBOX_DIR}`,
    `--wd=/proc/${target.pid}/root`,
    '--',
    ...toolboxCommand(user, target.privileged ? 'all' : target.capabilities, workdir, env, command, tty),
  ];
}

/** `argv` under util-linux `script`, which gives it a fresh pty and returns its exit status. */
export function withPty(argv: readonly string[]): string[] {
  const quoted = argv.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    'script',
    '--quiet',
    '--flush',
    '--return',
    '--echo',
    'never',
    '--command',
    `exec ${quoted}`,
    '/dev/null',
  ];
}

/**
 * How {@link execArgv}'s command line is started: with an empty environment, so nothing of the
 * caller's reaches the host tools. With a terminal it runs under `script`, which needs a SHELL and
 * finds it on PATH, and whose command clears both with the host's `env -i` first. Without one,
 * the empty environment is the spawn's own: one process fewer to start on every exec.
 */
export function execLaunch(
  argv: readonly string[],
  tools: HostTools,
  tty: boolean,
): { argv: string[]; env: Record<string, string> } {
  if (!tty) return { argv: [...argv], env: {} };
  return { argv: withPty([tools.env, '-i', ...argv]), env: { PATH: HOST_PATH, SHELL: '/bin/sh' } };
}
