/**
 * `devenv doctor`, embedded part: what this host offers the embedded runtime
 * (docs/embedded-runtime.md#host-requirements; its host requirements: Linux, overlayfs, mount and user namespaces, util-linux >= 2.38,
 * tini) and what state its store is in. Pure: the probes in host-probe.ts collect the facts, these
 * functions classify them, so every rule is tested without the host it describes.
 */
import { check } from '../checks.js';
import type { HostCheck } from '../checks.js';
import type { CheckReport, RepairReport, StoreRoot } from './store/index.js';

/** A util-linux tool the runtime uses, the version it needs and what for. */
export interface ToolNeed {
  name: string;
  /** Lowest util-linux version that has what we use; undefined when any will do. */
  min?: readonly [number, number] | undefined;
  purpose: string;
  /** The Debian package that ships it. */
  pkg: string;
}

/** `nsenter -W` and `unshare`'s behaviour were verified with 2.38 (docs/embedded-runtime.md#host-requirements). */
export const TOOLS: readonly ToolNeed[] = [
  { name: 'flock', purpose: 'store locks', pkg: 'util-linux' },
  { name: 'unshare', min: [2, 38], purpose: 'overlay mounts and containers', pkg: 'util-linux' },
  { name: 'mount', min: [2, 38], purpose: 'overlay mounts and containers', pkg: 'mount' },
  { name: 'nsenter', min: [2, 38], purpose: 'exec into containers', pkg: 'util-linux' },
  { name: 'setpriv', min: [2, 38], purpose: 'container users and capabilities', pkg: 'util-linux' },
  { name: 'script', min: [2, 38], purpose: 'container terminals', pkg: 'bsdutils' },
];

/** A tool found on PATH: where, and the first line of its `--version`. */
export interface FoundTool {
  path: string;
  versionText: string;
}

/** Everything the host probes found. */
export interface EmbeddedHostFacts {
  platform: string;
  kernel: string | undefined;
  uid: number;
  /** `overlay` is listed in /proc/filesystems. */
  overlayInKernel: boolean;
  /** A scratch overlay mounted (and made a whiteout) in `dir`. */
  overlayProbe: { dir: string; works: boolean };
  /** The layer mode the store recorded, when it has one. */
  layerMode: 'overlay' | 'flatten' | undefined;
  mountNamespaces: boolean;
  userNamespaces: boolean;
  /** /proc/sys/kernel/unprivileged_userns_clone (Debian), undefined when absent. */
  unprivilegedUsernsClone: string | undefined;
  /** /proc/sys/user/max_user_namespaces, undefined when absent. */
  maxUserNamespaces: string | undefined;
  tools: Readonly<Record<string, FoundTool | undefined>>;
  tini: { static: boolean; plain: boolean };
}

/** The util-linux version in a `--version` line (`unshare from util-linux 2.38.1`), if it is util-linux. */
export function utilLinuxVersion(text: string): [number, number, number] | undefined {
  const match = /util-linux (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** The finding for one tool. */
export function toolCheck(need: ToolNeed, found: FoundTool | undefined): HostCheck {
  const install = `apt-get install ${need.pkg} (util-linux 2.38 or newer; Debian 12 has 2.38.1)`;
  if (found === undefined)
    return check('embedded', need.name, 'fail', `not found on PATH (needed for ${need.purpose})`, install);
  const version = utilLinuxVersion(found.versionText);
  if (version === undefined)
    return check(
      'embedded',
      need.name,
      'fail',
      `${found.path} is not util-linux's (${found.versionText || 'no --version'})`,
      install,
    );
  const text = version.join('.');
  if (need.min !== undefined) {
    const [major, minor] = need.min;
    if (version[0] < major || (version[0] === major && version[1] < minor))
      return check(
        'embedded',
        need.name,
        'fail',
        `util-linux ${text} at ${found.path}; ${need.purpose} need ${major}.${minor} or newer`,
        install,
      );
  }
  return check('embedded', need.name, 'ok', `util-linux ${text}`);
}

function overlayCheck(f: EmbeddedHostFacts): HostCheck {
  const where = f.overlayProbe.dir;
  if (f.overlayProbe.works)
    return f.layerMode === 'flatten'
      ? check(
          'embedded',
          'overlayfs',
          'ok',
          `mounts in ${where}; this store was made in flatten mode and stays so`,
        )
      : check(
          'embedded',
          'overlayfs',
          'ok',
          `a probe overlay mounted in ${where}: layers are kept overlay-native`,
        );
  const why = f.overlayInKernel ? 'a probe overlay did not mount' : 'overlay is not in /proc/filesystems';
  if (f.layerMode === 'overlay')
    return check(
      'embedded',
      'overlayfs',
      'fail',
      `${why} in ${where}, but this store's layers are overlay diffs`,
      'run as root, or move the store back to a filesystem with overlayfs (devenv storage move DIR)',
    );
  const hint =
    f.uid !== 0
      ? 'rootless overlay is not supported yet; run as root for overlay-native layers'
      : f.overlayInKernel
        ? 'put the store on ext4, xfs or btrfs (devenv storage move DIR)'
        : 'load the module: modprobe overlay';
  return check(
    'embedded',
    'overlayfs',
    'warn',
    `${why} in ${where}: layers are full snapshots (flatten mode: more disk, slower unpacking)`,
    hint,
  );
}

function userNamespaceCheck(f: EmbeddedHostFacts): HostCheck {
  const sysctls = [
    `user.max_user_namespaces=${f.maxUserNamespaces ?? 'absent'}`,
    ...(f.unprivilegedUsernsClone === undefined
      ? []
      : [`kernel.unprivileged_userns_clone=${f.unprivilegedUsernsClone}`]),
  ].join(', ');
  if (f.userNamespaces) return check('embedded', 'user namespaces', 'ok', `usable (${sysctls})`);
  const hint =
    f.maxUserNamespaces === '0'
      ? 'sysctl -w user.max_user_namespaces=15000'
      : f.unprivilegedUsernsClone === '0'
        ? 'sysctl -w kernel.unprivileged_userns_clone=1'
        : 'the kernel lacks user namespaces, or a security policy (AppArmor, SELinux) blocks them';
  return f.uid === 0
    ? check(
        'embedded',
        'user namespaces',
        'warn',
        `unavailable (${sysctls}); only rootless use needs them`,
        hint,
      )
    : check('embedded', 'user namespaces', 'fail', `unavailable (${sysctls}); rootless use needs them`, hint);
}

/** The host findings for `facts`. */
export function embeddedHostChecks(f: EmbeddedHostFacts): HostCheck[] {
  if (f.platform !== 'linux')
    return [
      check(
        'embedded',
        'Linux',
        'fail',
        `the embedded runtime needs Linux; this is ${f.platform}`,
        'use --runtime docker',
      ),
    ];
  const checks = [check('embedded', 'Linux', 'ok', `kernel ${f.kernel ?? 'unknown'}`), overlayCheck(f)];
  checks.push(
    f.mountNamespaces
      ? check('embedded', 'mount namespaces', 'ok', 'unshare --mount works')
      : check(
          'embedded',
          'mount namespaces',
          'fail',
          'unshare --mount failed',
          f.uid === 0
            ? 'a container or seccomp policy forbids unshare'
            : 'run as root, or enable user namespaces',
        ),
    userNamespaceCheck(f),
  );
  for (const need of TOOLS) checks.push(toolCheck(need, f.tools[need.name]));
  checks.push(
    f.tini.static
      ? check('embedded', 'tini', 'ok', 'tini-static found (the init of containers with init: true)')
      : check(
          'embedded',
          'tini',
          'warn',
          `${f.tini.plain ? 'only the dynamic tini' : 'tini-static not'} found; containers with init: true need tini-static`,
          'apt-get install tini',
        ),
  );
  return checks;
}

const SOURCES: Record<StoreRoot['source'], string> = {
  flag: 'from --root',
  DEVENV_ROOT: 'from DEVENV_ROOT',
  settings: 'from the storage setting',
  default: 'the default',
};

/** The store findings: where it is, what a repair did, and whether it is consistent now. */
export function storeChecks(
  root: StoreRoot,
  report: CheckReport | undefined,
  repair?: RepairReport,
): HostCheck[] {
  const where = `${root.root} (${SOURCES[root.source]})`;
  if (report === undefined)
    return [check('store', 'location', 'ok', `${where}; it does not exist yet and is made on first use`)];
  const checks = [check('store', 'location', 'ok', where)];
  if (repair !== undefined)
    checks.push(
      check(
        'store',
        'repair',
        'ok',
        repair.actions.length === 0 ? 'nothing to repair' : repair.actions.join('\n'),
      ),
    );
  if (report.clean) {
    checks.push(check('store', 'consistency', 'ok', 'clean: every blob, layer, image and tag checks out'));
    return checks;
  }
  const userFixes = report.issues.filter((i) => i.kind === 'unsafe-root' || i.kind === 'container');
  const count = `${report.issues.length} problem${report.issues.length === 1 ? '' : 's'}`;
  checks.push(
    check(
      'store',
      'consistency',
      'fail',
      `${count}:\n${report.issues.map((i) => i.message).join('\n')}`,
      userFixes.length > 0 && userFixes.length === report.issues.length
        ? 'these need you: fix them as the messages say'
        : 'run devenv doctor --repair',
    ),
  );
  return checks;
}
