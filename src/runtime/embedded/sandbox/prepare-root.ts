/**
 * Everything the sandbox needs to know about the root filesystem before any process runs in it: the
 * user from the image's /etc/passwd and /etc/group, and every mount target resolved *inside* the
 * root and created when missing. The image is untrusted: its `/proc`, `/dev` or `/etc/hosts` may be
 * symlinks meant to point a mount at a host path. Resolution follows every link in-root (an absolute
 * target restarts at the root), so a target can never leave it; the sandbox then mounts with
 * `mount -c` onto exactly the paths returned here, whose every component is a real directory. No
 * process of the image runs before the mounts are done, so nothing can swap a path in between.
 */
import { chownSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { DevenvError } from '../../../errors.js';
import { hostPath, resolveInRoot, tryLstat } from '../layers/resolve-in-root.js';
import { resolveUser } from './user.js';
import type { ResolvedUser } from './user.js';

/** The image files read for the user; anything larger is not an account file. */
const MAX_ACCOUNT_FILE = 4 * 1024 * 1024;

/** A bind mount with its target resolved in-root (relative to the root). */
export interface PreparedBind {
  source: string;
  target: string;
  readonly: boolean;
}

/** The result of {@link prepareRoot}: root-relative paths, never `''` for a mount target. */
export interface PreparedRoot {
  user: ResolvedUser;
  proc: string;
  dev: string;
  sys: string;
  hosts: string;
  resolvConf: string;
  hostname: string;
  binds: PreparedBind[];
  /** The working directory, resolved and created. */
  cwd: string;
}

/** What {@link prepareRoot} needs: `root` is where this process sees the root filesystem. */
export interface PrepareRootInput {
  root: string;
  user: string;
  cwd: string;
  /** Host paths, already checked by the caller; `isDir` says what kind of target to create. */
  binds: readonly { source: string; target: string; readonly: boolean; isDir: boolean }[];
}

function invalid(message: string, hint: string): DevenvError {
  return new DevenvError('DEVENV_ARCHIVE_INVALID', message, { hint });
}

const IMAGE_HINT = 'The image is damaged or hostile; rebuild it from a trusted base.';

/** Reads a regular file of the image (never a FIFO or device), or undefined when there is none. */
function readImageFile(root: string, file: string): string | undefined {
  const rel = resolveInRoot(root, file);
  const info = tryLstat(hostPath(root, rel));
  if (info === undefined) return undefined;
  if (!info.isFile() || info.size > MAX_ACCOUNT_FILE)
    throw invalid(`the image's /${file} is not a regular file of at most 4 MiB`, IMAGE_HINT);
  return readFileSync(hostPath(root, rel), 'utf8');
}

/**
 * Creates every missing directory of the in-root path `rel` (which has no symlinks left), owned by
 * `owner` when given, as Docker creates a missing working directory for the user.
 */
function ensureDir(root: string, rel: string, what: string, owner?: ResolvedUser): void {
  let done = '';
  for (const part of rel.split('/').filter((p) => p !== '')) {
    done = done === '' ? part : `${done}/${part}`;
    const full = hostPath(root, done);
    const info = tryLstat(full);
    if (info === undefined) {
      mkdirSync(full, { mode: 0o755 });
      if (owner !== undefined) chownSync(full, owner.uid, owner.gid);
    } else if (!info.isDirectory())
      throw invalid(`${what}: /${done} in the image is not a directory`, IMAGE_HINT);
  }
}

/** Makes sure the in-root path `rel` is a regular file, creating an empty one (O_EXCL) if missing. */
function ensureFile(root: string, rel: string, what: string): void {
  const slash = rel.lastIndexOf('/');
  if (slash > 0) ensureDir(root, rel.slice(0, slash), what);
  const full = hostPath(root, rel);
  const info = tryLstat(full);
  if (info === undefined) closeSync(openSync(full, 'wx', 0o644));
  else if (!info.isFile()) throw invalid(`${what}: /${rel} in the image is not a regular file`, IMAGE_HINT);
}

function inside(rel: string, dir: string): boolean {
  return rel === dir || rel.startsWith(`${dir}/`);
}

/** Resolves `target` in-root; the root itself is never a valid mount target. */
function resolveTarget(root: string, target: string, what: string): string {
  const rel = resolveInRoot(root, target.replace(/^\/+/, ''));
  if (rel === '') throw invalid(`${what}: ${target} in the image leads to the root directory`, IMAGE_HINT);
  return rel;
}

/**
 * Reads the user, resolves and creates every mount target and the working directory. Throws
 * `DEVENV_CONFIG_INVALID` for an unknown user and `DEVENV_ARCHIVE_INVALID` for an image whose
 * paths make the sandbox impossible (a mount target that leads to the root, into another special
 * mount, or to a file of the wrong kind).
 */
export function prepareRoot(input: PrepareRootInput): PreparedRoot {
  const { root } = input;
  const user = resolveUser(input.user, readImageFile(root, 'etc/passwd'), readImageFile(root, 'etc/group'), {
    passwd: '/etc/passwd',
    group: '/etc/group',
  });
  const special = {
    proc: resolveTarget(root, '/proc', 'mounting /proc'),
    dev: resolveTarget(root, '/dev', 'mounting /dev'),
    sys: resolveTarget(root, '/sys', 'mounting /sys'),
  };
  const names = Object.keys(special) as (keyof typeof special)[];
  for (const a of names)
    for (const b of names)
      if (a !== b && inside(special[a], special[b]))
        throw invalid(`the image's /${a} leads into /${b} (/${special[a]})`, IMAGE_HINT);
  const outsideSpecial = (rel: string, what: string) => {
    for (const name of names)
      if (inside(rel, special[name]))
        throw invalid(
          `${what} leads into /${name} (/${rel}), where nothing can be mounted or created`,
          IMAGE_HINT,
        );
  };
  for (const name of names) ensureDir(root, special[name], `mounting /${name}`);

  const files = {
    hosts: resolveTarget(root, '/etc/hosts', 'mounting /etc/hosts'),
    resolvConf: resolveTarget(root, '/etc/resolv.conf', 'mounting /etc/resolv.conf'),
    hostname: resolveTarget(root, '/etc/hostname', 'mounting /etc/hostname'),
  };
  for (const [key, rel] of Object.entries(files)) {
    const what = `mounting /etc/${key === 'resolvConf' ? 'resolv.conf' : key}`;
    outsideSpecial(rel, what);
    ensureFile(root, rel, what);
  }

  const binds = input.binds.map((bind) => {
    const what = `mounting ${bind.source} at ${bind.target}`;
    const rel = resolveTarget(root, bind.target, what);
    outsideSpecial(rel, what);
    if (bind.isDir) ensureDir(root, rel, what);
    else ensureFile(root, rel, what);
    return { source: bind.source, target: rel, readonly: bind.readonly };
  });

  const cwd = resolveInRoot(root, input.cwd.replace(/^\/+/, ''));
  outsideSpecial(cwd, `the working directory ${input.cwd}`);
  ensureDir(root, cwd, `the working directory ${input.cwd}`, user);

  return { user, ...special, ...files, binds, cwd };
}
