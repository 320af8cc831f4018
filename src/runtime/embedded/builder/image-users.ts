/**
 * Names in `COPY --chown=user:group` resolved as Docker resolves them: against the image's own
 * /etc/passwd and /etc/group (read in-root, never through a link to a host file), numbers taken as
 * they are, and a missing group meaning the user's primary group (or the same number).
 */
import { readFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { DevenvError } from '../../../errors.js';
import { resolveInRoot } from '../layers/index.js';

/** Owner numbers of copied files. */
export interface Owner {
  uid: number;
  gid: number;
}

async function readInRoot(root: string, rel: string): Promise<string | undefined> {
  const resolved = resolveInRoot(root, rel);
  return readFile(path.join(root, resolved), 'utf8').catch(() => undefined);
}

/** `name:x:uid:gid:…` lines of a passwd or group file, by field. */
function entries(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

const NUMBER = /^\d+$/;

/** Resolves `spec` (`user`, `user:group`, numbers or names) in the image rooted at `root`. */
export async function resolveOwner(root: string, spec: string, where: string): Promise<Owner> {
  const [user = '', group] = spec.split(':', 2);
  const passwd =
    NUMBER.test(user) && (group === undefined || NUMBER.test(group))
      ? undefined
      : await readInRoot(root, 'etc/passwd');
  let uid: number;
  let primary: number | undefined;
  if (NUMBER.test(user)) {
    uid = Number(user);
    primary = group === undefined ? uid : undefined;
  } else {
    const entry = entries(passwd).find((fields) => fields[0] === user);
    if (entry === undefined)
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `${where}: unable to find user ${user}: no matching entries in the image's /etc/passwd`,
        {
          hint: 'create the user in an earlier step, or give the owner as numbers (uid:gid)',
        },
      );
    uid = Number(entry[2]);
    primary = Number(entry[3]);
  }
  if (group === undefined) return { uid, gid: primary ?? uid };
  if (NUMBER.test(group)) return { uid, gid: Number(group) };
  const entry = entries(await readInRoot(root, 'etc/group')).find((fields) => fields[0] === group);
  if (entry === undefined)
    throw new DevenvError(
      'DEVENV_CONFIG_INVALID',
      `${where}: unable to find group ${group}: no matching entries in the image's /etc/group`,
      {
        hint: 'create the group in an earlier step, or give the owner as numbers (uid:gid)',
      },
    );
  return { uid, gid: Number(entry[2]) };
}
