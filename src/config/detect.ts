/** Knowledge about well-known base images: their package manager and whether they ship bash. */
import type { PackageManager } from './schema.js';
import { parseReference } from '../util/reference.js';

const FAMILIES: readonly { names: readonly string[]; manager: PackageManager; bash: boolean }[] = [
  {
    names: ['ubuntu', 'debian', 'buildpack-deps', 'kalilinux/kali-rolling', 'linuxmintd/mint'],
    manager: 'apt',
    bash: true,
  },
  { names: ['alpine'], manager: 'apk', bash: false },
  {
    names: [
      'fedora',
      'rockylinux',
      'rockylinux/rockylinux',
      'almalinux',
      'oraclelinux',
      'amazonlinux',
      'redhat/ubi8',
      'redhat/ubi9',
      'quay.io/centos/centos',
    ],
    manager: 'dnf',
    bash: true,
  },
  { names: ['centos'], manager: 'yum', bash: true },
  { names: ['archlinux', 'archlinux/archlinux', 'manjarolinux/base'], manager: 'pacman', bash: true },
  {
    names: [
      'opensuse/leap',
      'opensuse/tumbleweed',
      'registry.opensuse.org/opensuse/leap',
      'registry.opensuse.org/opensuse/tumbleweed',
    ],
    manager: 'zypper',
    bash: true,
  },
];

function familyOf(image: string) {
  const ref = parseReference(image);
  if (typeof ref === 'string') return undefined;
  const name = ref.domain === 'docker.io' ? ref.path.replace(/^library\//, '') : `${ref.domain}/${ref.path}`;
  const family = FAMILIES.find((f) => f.names.includes(name));
  // centos:8 and later moved to dnf; centos:7 and earlier use yum.
  if (family?.manager === 'yum' && ref.tag !== undefined && /^(stream)?(8|9|10)/.test(ref.tag))
    return { ...family, manager: 'dnf' as const };
  return family;
}

/** The package manager of a well-known base image, or `undefined` when it cannot be told from the name. */
export function detectPackageManager(image: string): PackageManager | undefined {
  return familyOf(image)?.manager;
}

/**
 * The shell a well-known base image offers (`/bin/bash`, or `/bin/sh` where it has no bash), or
 * `undefined` when the name says nothing, as with a mirror (`registry.lan/debian`) or a private image.
 */
export function knownShell(image: string): '/bin/bash' | '/bin/sh' | undefined {
  const family = familyOf(image);
  return family === undefined ? undefined : family.bash ? '/bin/bash' : '/bin/sh';
}
