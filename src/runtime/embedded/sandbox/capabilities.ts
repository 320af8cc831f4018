/**
 * The capability bounding set of a sandbox, as `setpriv --bounding-set` takes it. The default is
 * Docker's: the 14 capabilities every container gets unless told otherwise.
 */
import { DevenvError } from '../../../errors.js';

/** Docker's default capabilities (CapBnd 00000000a80425fb), without the `CAP_` prefix. */
export const DOCKER_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** Every capability util-linux 2.38 knows (capability.h up to CAP_CHECKPOINT_RESTORE). */
export const ALL_CAPABILITIES: readonly string[] = [
  ...DOCKER_CAPABILITIES,
  'DAC_READ_SEARCH',
  'LINUX_IMMUTABLE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'LEASE',
  'AUDIT_CONTROL',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * The `--bounding-set` value for `caps` (names with or without `CAP_`, any case). The root change
 * is made by `unshare --root` after the bounding set applies, and the uid change by `unshare
 * --setuid`, so SYS_CHROOT (always) and SETUID (for a non-root user) must stay in the set.
 */
export function boundingSetArg(caps: readonly string[], uid: number): string {
  const names = caps.map((cap) => cap.toUpperCase().replace(/^CAP_/, ''));
  for (const [i, name] of names.entries())
    if (!KNOWN.has(name))
      throw new DevenvError('DEVENV_CONFIG_INVALID', `unknown capability "${caps[i] ?? name}"`, {
        hint: `Use names such as ${DOCKER_CAPABILITIES.slice(0, 3).join(', ')} (see capabilities(7)).`,
      });
  const needed = uid === 0 ? ['SYS_CHROOT'] : ['SYS_CHROOT', 'SETUID'];
  const missing = needed.filter((name) => !names.includes(name));
  if (missing.length > 0)
    throw new DevenvError(
      'DEVENV_UNSUPPORTED',
      `the embedded runtime cannot drop ${missing.join(' and ')}: it needs them to enter the root${uid === 0 ? '' : ' and switch user'}`,
      { hint: `Keep ${missing.join(' and ')} in the capabilities, or use the Docker runtime.` },
    );
  return ['-all', ...[...new Set(names)].map((name) => `+${name.toLowerCase()}`)].join(',');
}
