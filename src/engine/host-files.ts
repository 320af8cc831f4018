/**
 * Host-side files a container needs before it starts: the secret env file (proxy values, 0600, never
 * in a container config), the per-environment X11 cookie, and missing bind-mount folders. The two
 * files that hold credentials exist only while the container does: {@link removeHostSecrets}.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { XAUTH_FILE } from '../plan/compile-plan.js';
import { shellQuote } from '../plan/quote.js';
import type { RunSpec, X11Spec } from '../plan/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ensureWritableDir, STATE_FOLDER } from '../util/fs-problem.js';

/** Name of the secret env file in the per-environment state folder. */
const SECRET_ENV_FILE = 'env';
/** Marks a container whose create hooks completed: `created-hooks-<id prefix>`. */
export const HOOK_MARKER_PREFIX = 'created-hooks-';

/** Writes the secret env file (sourced by the container's wrapper); returns its path, or undefined when there are no secrets. */
export async function writeSecretEnv(
  stateDir: string,
  secretEnv: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  if (Object.keys(secretEnv).length === 0) return undefined;
  await ensureWritableDir(stateDir, STATE_FOLDER, 0o700);
  await chmod(stateDir, 0o700);
  const file = path.join(stateDir, SECRET_ENV_FILE);
  const text = Object.entries(secretEnv)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join('\n');
  await writeFileAtomic(file, `${text}\n`, 0o600);
  return file;
}

/**
 * Removes what the state folder holds for a container that is gone: the secret env file, the X11
 * cookie (both credentials) and the create-hook markers of old container ids. Caches such as the
 * image's shell stay; `rm --volumes` removes the whole folder.
 */
export async function removeHostSecrets(stateDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const gone = names.filter(
    (n) => n === SECRET_ENV_FILE || n.startsWith(XAUTH_FILE) || n.startsWith(HOOK_MARKER_PREFIX),
  );
  for (const name of gone) await rm(path.join(stateDir, name), { force: true });
}

/** Writes a cookie for this environment only (family wild, so it matches the container's hostname); never `xhost +`. */
export async function writeXauthCookie(
  x11: X11Spec,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const { execa } = await import('execa');
  if (x11.display === '') {
    throw new DevenvError('DEVENV_USAGE', 'devices.x11 is on but DISPLAY is not set', {
      hint: 'run devenv from a graphical session, or set DISPLAY (e.g. DISPLAY=:0)',
    });
  }
  await mkdir(path.dirname(x11.cookieFile), { recursive: true, mode: 0o700 });
  let cookies: string;
  try {
    cookies = (
      await execa('xauth', ['nlist', x11.display], {
        env: { ...env, DISPLAY: x11.display },
        extendEnv: false,
      })
    ).stdout;
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    throw new DevenvError(
      'DEVENV_RUNTIME_FAILED',
      missing
        ? 'xauth is not installed, so no X11 cookie can be made'
        : `xauth could not read the cookie for display ${x11.display}`,
      {
        hint: missing
          ? 'install xauth (Debian: apt-get install xauth)'
          : "check that XAUTHORITY points at your X session's cookie file",
        cause: error,
      },
    );
  }
  // ffff = FamilyWild: the cookie matches any host name, including the container's.
  const wild = cookies
    .split('\n')
    .filter(Boolean)
    .map((line) => `ffff${line.slice(4)}`)
    .join('\n');
  const temp = `${x11.cookieFile}.new`;
  await writeFileAtomic(temp, '', 0o600);
  await execa('xauth', ['-f', temp, 'nmerge', '-'], { input: `${wild}\n` });
  // The container user may differ from the caller; the file is only readable through its own mount.
  await chmod(temp, 0o644);
  await writeFileAtomic(x11.cookieFile, await readFile(temp), 0o644);
  await rm(temp, { force: true });
}

/** The host device folders the spec shares must exist; says which one is missing and what to do. */
export function checkDevices(spec: RunSpec): void {
  if (spec.devices.usb && !existsSync('/dev/bus/usb')) {
    throw new DevenvError('DEVENV_USAGE', 'devices.usb is on but this host has no /dev/bus/usb', {
      hint: 'turn devices.usb off on this machine, or load the USB drivers (usbcore)',
    });
  }
  for (const device of spec.devices.paths) {
    if (!existsSync(device))
      throw new DevenvError(
        'DEVENV_USAGE',
        `the device ${device} (devices.paths) does not exist on this host`,
        { hint: 'plug the device in, or remove it from devices.paths' },
      );
  }
  if (spec.devices.x11 !== undefined && !existsSync(spec.devices.x11.socketDir)) {
    throw new DevenvError(
      'DEVENV_USAGE',
      `devices.x11 is on but ${spec.devices.x11.socketDir} does not exist`,
      { hint: 'start an X server (or Xvfb), or turn devices.x11 off' },
    );
  }
}

/** Creates bind-mount sources that do not exist yet (as the caller, so they are not root-owned by docker). */
export async function createMissingBindSources(spec: RunSpec): Promise<string[]> {
  const created: string[] = [];
  for (const mount of spec.mounts) {
    if (mount.type !== 'bind' || existsSync(mount.source)) continue;
    await mkdir(mount.source, { recursive: true });
    created.push(mount.source);
  }
  return created;
}
