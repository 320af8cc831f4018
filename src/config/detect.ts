/**
 * Knowledge about well-known base images: their package manager and whether they ship bash. A name
 * matches on its last path components, so a mirror or pull-through cache (`127.0.0.1:5000/debian`,
 * `registry.lan/library/ubuntu`, `harbor.corp/dockerhub/opensuse/leap`) is known like the original.
 */
import type { PackageManager } from './schema.js';
import { parseReference } from '../image/reference.js';

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
      'almalinux',
      'oraclelinux',
      'amazonlinux',
      'redhat/ubi8',
      'redhat/ubi9',
      'ubi8/ubi',
      'ubi9/ubi',
      'centos/centos',
    ],
    manager: 'dnf',
    bash: true,
  },
  {
    names: ['redhat/ubi8-minimal', 'redhat/ubi9-minimal', 'ubi8/ubi-minimal', 'ubi9/ubi-minimal'],
    manager: 'microdnf',
    bash: true,
  },
  { names: ['centos'], manager: 'yum', bash: true },
  { names: ['archlinux', 'manjarolinux/base'], manager: 'pacman', bash: true },
  { names: ['opensuse/leap', 'opensuse/tumbleweed'], manager: 'zypper', bash: true },
];

/** How many trailing components of `name` the family name `known` matches (0 for none). */
function suffixMatch(name: readonly string[], known: string): number {
  const parts = known.split('/');
  if (parts.length > name.length) return 0;
  return parts.every((part, i) => name[name.length - parts.length + i] === part) ? parts.length : 0;
}

function familyOf(image: string) {
  const ref = parseReference(image);
  if (typeof ref === 'string') return undefined;
  const name = ref.path.split('/');
  // The longest match wins: `quay.io/centos/centos` is the dnf image, a bare `centos` the yum one.
  let best: { family: (typeof FAMILIES)[number]; length: number } | undefined;
  for (const family of FAMILIES) {
    for (const known of family.names) {
      const length = suffixMatch(name, known);
      if (length > (best?.length ?? 0)) best = { family, length };
    }
  }
  const family = best?.family;
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
 * `undefined` when the name says nothing, as with a private image (`registry.lan/team/devbase`).
 */
export function knownShell(image: string): '/bin/bash' | '/bin/sh' | undefined {
  const family = familyOf(image);
  return family === undefined ? undefined : family.bash ? '/bin/bash' : '/bin/sh';
}
