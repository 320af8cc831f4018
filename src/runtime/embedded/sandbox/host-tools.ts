/**
 * The host binaries a sandbox runs, by absolute path. They are looked up in the system directories
 * only, never on the user's PATH, and called by path because each of them execs the next with the
 * sandbox's environment, whose PATH belongs to the image.
 */
import { DevenvError } from '../../../errors.js';
import { findOnPath } from './find-on-path.js';

/** Where host tools are looked up, and the PATH the setup scripts run with. */
export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Absolute paths of the tools. */
export interface HostTools {
  unshare: string;
  nsenter: string;
  setpriv: string;
  env: string;
  bash: string;
}

const PACKAGES: Record<keyof HostTools, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  env: 'coreutils',
  bash: 'bash',
};

/** Finds every tool; undefined values name what is missing. */
export async function findHostTools(): Promise<Partial<HostTools>> {
  const names = Object.keys(PACKAGES) as (keyof HostTools)[];
  const found = await Promise.all(names.map((name) => findOnPath(name, { PATH: HOST_PATH })));
  return Object.fromEntries(names.map((name, i) => [name, found[i]]));
}

/** The tools, or `DEVENV_RUNTIME_MISSING` naming the missing ones and their packages. */
export async function hostTools(): Promise<HostTools> {
  const found = await findHostTools();
  const missing = (Object.keys(PACKAGES) as (keyof HostTools)[]).filter((name) => found[name] === undefined);
  if (missing.length > 0)
    throw new DevenvError(
      'DEVENV_RUNTIME_MISSING',
      `the sandbox needs ${missing.join(', ')}, not found in ${HOST_PATH}`,
      {
        hint: `Install ${[...new Set(missing.map((name) => PACKAGES[name]))].join(' and ')} (util-linux 2.38 or later).`,
      },
    );
  return found as HostTools;
}

/** Tools only some sandboxes need, with the Debian package that has each. */
const OPTIONAL = {
  'tini-static': 'tini',
  script: 'util-linux',
  stty: 'coreutils',
} as const;

/** The optional tools a spec can ask for. */
export type OptionalTool = keyof typeof OPTIONAL;

/**
 * The absolute path of an optional tool (tini for `init`, script and stty for `tty`), or
 * `DEVENV_RUNTIME_MISSING` naming it, what asked for it and the package to install.
 */
export async function optionalTool(name: OptionalTool, neededFor: string): Promise<string> {
  const found = await findOnPath(name, { PATH: HOST_PATH });
  if (found === undefined)
    throw new DevenvError('DEVENV_RUNTIME_MISSING', `${neededFor} needs ${name}, not found in ${HOST_PATH}`, {
      hint: `Install it: apt install ${OPTIONAL[name]}`,
    });
  return found;
}
