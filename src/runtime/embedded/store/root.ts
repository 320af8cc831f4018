/**
 * Where the store lives, and the checks before it is used (docs/reliability.md, P1, P2): the root
 * must be a real directory (no symlink in its path), private to its owner, and reached only through
 * parents that another user cannot swap.
 */
import { access, constants, lstat, mkdir, realpath, stat } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { asFsError } from '../../../util/fs-problem.js';

/** Everything the root depends on, passed in rather than read from globals. */
export interface StoreRootInputs {
  /** `--root DIR` (relative paths resolve against `cwd`). */
  flag?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** The `storage` user setting (absolute, validated by the settings schema). */
  settingsStorage?: string | undefined;
  uid: number;
  homeDir: string;
  cwd: string;
}

/** The chosen root and which input chose it. */
export interface StoreRoot {
  root: string;
  source: 'flag' | 'DEVENV_ROOT' | 'settings' | 'default';
}

/**
 * Picks the store root: `--root`, else `DEVENV_ROOT`, else the `storage` setting, else
 * `/var/lib/devenv` for root and `$XDG_DATA_HOME/devenv` (default `~/.local/share/devenv`) otherwise.
 * Root and rootless stores are separate because their overlay metadata differs (docs/image-formats.md#whiteouts).
 */
export function resolveStoreRoot(inputs: StoreRootInputs): StoreRoot {
  if (inputs.flag !== undefined && inputs.flag !== '')
    return { root: path.resolve(inputs.cwd, inputs.flag), source: 'flag' };
  const fromEnv = inputs.env['DEVENV_ROOT'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!path.isAbsolute(fromEnv)) {
      throw new DevenvError(
        'DEVENV_USAGE',
        `DEVENV_ROOT must be an absolute path, not ${JSON.stringify(fromEnv)}`,
      );
    }
    return { root: path.normalize(fromEnv), source: 'DEVENV_ROOT' };
  }
  if (inputs.settingsStorage !== undefined)
    return { root: path.normalize(inputs.settingsStorage), source: 'settings' };
  if (inputs.uid === 0) return { root: '/var/lib/devenv', source: 'default' };
  const xdg = inputs.env['XDG_DATA_HOME'];
  const dataHome =
    xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(inputs.homeDir, '.local', 'share');
  return { root: path.join(dataHome, 'devenv'), source: 'default' };
}

const STORE_HINT = 'choose a folder you can write with --root DIR, DEVENV_ROOT or the storage setting';

function unsafe(message: string, hint: string): DevenvError {
  return new DevenvError('DEVENV_PERMISSION_DENIED', message, { hint });
}

/**
 * Creates the root (mode 0700) when asked and missing, then refuses a root that is a symlink, lies
 * behind a symlink, is group/world-writable, belongs to another user, or has a parent that others can
 * write without the sticky bit. Each refusal names the path and the fix.
 */
export async function prepareStoreRoot(
  root: string,
  options: { create: boolean; uid?: number | undefined },
): Promise<void> {
  if (!path.isAbsolute(root))
    throw new DevenvError('DEVENV_USAGE', `the store root must be an absolute path: ${root}`);
  const uid = options.uid ?? process.getuid?.();
  const cannot = async (error: unknown) =>
    asFsError(error, root, `cannot create or write the store folder ${root}`, STORE_HINT);
  let info = await lstat(root).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw await cannot(error);
  });
  if (info === undefined) {
    if (!options.create) throw new DevenvError('DEVENV_NOT_FOUND', `there is no store at ${root}`);
    try {
      await mkdir(path.dirname(root), { recursive: true });
      await mkdir(root, { mode: 0o700 }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
      info = await lstat(root);
    } catch (error) {
      throw await cannot(error);
    }
  }
  if (info.isSymbolicLink()) {
    throw unsafe(
      `the store root ${root} is a symbolic link`,
      `Point --root (or the storage setting) at the real directory ${await realpath(root).catch(() => '(dangling)')}.`,
    );
  }
  if (!info.isDirectory())
    throw unsafe(`the store root ${root} is not a directory`, 'Choose another --root.');
  const real = await realpath(root);
  if (real !== path.resolve(root)) {
    throw unsafe(
      `the store root ${root} lies behind a symbolic link (it resolves to ${real})`,
      `Use the real path: --root ${real} (or set storage to it).`,
    );
  }
  if ((info.mode & 0o022) !== 0) {
    throw unsafe(
      `the store root ${root} is writable by group or others (mode ${(info.mode & 0o7777).toString(8)})`,
      `Run: chmod 0700 ${root}`,
    );
  }
  if (uid !== undefined && info.uid !== uid) {
    throw unsafe(
      `the store root ${root} belongs to uid ${info.uid}, not to you (uid ${uid})`,
      `Run: chown ${uid} ${root}, or choose your own --root.`,
    );
  }
  // Opening a store writes to it (its version file, crash recovery), so a read-only one is refused
  // here, by name, rather than deep inside the first write.
  if (options.create)
    await access(root, constants.W_OK).catch(async (error: unknown) => {
      throw await cannot(error);
    });
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const parent = await stat(dir);
    if ((parent.mode & 0o002) !== 0 && (parent.mode & 0o1000) === 0) {
      throw unsafe(
        `${dir}, a parent of the store root ${root}, is world-writable without the sticky bit`,
        `Run: chmod o-w ${dir}, or choose another --root.`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}
