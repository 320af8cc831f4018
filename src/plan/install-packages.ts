/**
 * The package install step of a stage: one RUN with the package manager's own cleanup in the same
 * layer. When neither devenv.yml nor the base's name says which manager the base has, the step finds
 * it in the base at build time, so a private base (`registry.lan/team/devbase`) needs no setting and
 * the Dockerfile still builds with plain `docker build`.
 */
import type { PackageManager } from '../config/schema.js';
import type { Instruction } from './dockerfile.js';
import { shellJoin, shellQuote } from './quote.js';
import type { Fragments } from './types.js';

/**
 * The command each manager is found by, in the order the build-time probe tries them: dnf before yum
 * (newer Red Hat images keep `yum` as a link to dnf), microdnf after both (minimal images have only it).
 */
const PROBES: readonly (readonly [PackageManager, string])[] = [
  ['apt', 'apt-get'],
  ['apk', 'apk'],
  ['dnf', 'dnf'],
  ['yum', 'yum'],
  ['microdnf', 'microdnf'],
  ['pacman', 'pacman'],
  ['zypper', 'zypper'],
];

function commands(fragments: Fragments, manager: PackageManager, list: string): string[] {
  return fragments.packages[manager].map((line) => line.replaceAll('{{packages}}', list));
}

/**
 * The install step for `packages`, with `manager` when it is known, else with the first manager the
 * base has; a base with none fails the build with a message naming the packages and the setting.
 */
export function installPackages(
  fragments: Fragments,
  manager: PackageManager | undefined,
  packages: readonly string[],
): Instruction[] {
  if (packages.length === 0) return [];
  const sorted = [...new Set(packages)].sort();
  const list = shellJoin(sorted);
  if (manager !== undefined) return [{ kind: 'run-parts', parts: commands(fragments, manager, list) }];
  const branches = PROBES.map(
    ([name, command], i) =>
      `${i === 0 ? 'if' : 'elif'} command -v ${command} >/dev/null 2>&1; then ${commands(fragments, name, list).join(' && ')};`,
  );
  const message = `devenv: cannot install ${sorted.join(' ')}: found none of ${PROBES.map(([, c]) => c).join(', ')} in the base image; set packageManager: in devenv.yml if the base has one, or install the packages in a step`;
  return [
    {
      kind: 'run-lines',
      lines: [...branches, `else echo ${shellQuote(message)} >&2; exit 1; fi`],
    },
  ];
}
