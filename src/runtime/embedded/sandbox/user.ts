/**
 * Docker's `USER` forms resolved against an image's own /etc/passwd and /etc/group, the way runc's
 * user lookup does it: a name must exist in passwd, a number need not; without an explicit group
 * the primary gid comes from passwd (0 when there is no entry) and the supplementary groups are the
 * groups that list the user by name; with an explicit group there are none.
 */
import { DevenvError } from '../../../errors.js';

/** The identity a sandboxed process runs as. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, in /etc/group order, without duplicates. */
  groups: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMERIC = /^[0-9]+$/;
/** Linux ids are 32-bit; (uid_t)-1 means "unchanged" to the kernel, so it is not an id. */
const MAX_ID = 0xfffffffe;

function parseId(text: string): number | undefined {
  if (!NUMERIC.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ID ? value : undefined;
}

/** The well-formed entries of a passwd file; malformed lines are skipped, as libc skips them. */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const [name, , uid, gid] = line.split(':');
    const u = parseId(uid ?? '');
    const g = parseId(gid ?? '');
    return name !== undefined && name !== '' && u !== undefined && g !== undefined
      ? [{ name, uid: u, gid: g }]
      : [];
  });
}

/** The well-formed entries of a group file. */
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const [name, , gid, members] = line.split(':');
    const g = parseId(gid ?? '');
    return name !== undefined && name !== '' && g !== undefined
      ? [{ name, gid: g, members: (members ?? '').split(',').filter((m) => m !== '') }]
      : [];
  });
}

/** Where the image's account files were read, for messages. */
export interface AccountFiles {
  passwd: string;
  group: string;
}

/**
 * Resolves `spec` (`''`, `name`, `uid`, `name:group`, `uid:gid`, …) against the files' contents
 * (undefined when the file is missing). Throws `DEVENV_CONFIG_INVALID` for a name that is not there.
 */
export function resolveUser(
  spec: string,
  passwdText: string | undefined,
  groupText: string | undefined,
  files: AccountFiles,
): ResolvedUser {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  const passwd = parsePasswd(passwdText ?? '');
  const groups = parseGroup(groupText ?? '');

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '') {
    entry = passwd.find((e) => e.uid === 0);
    uid = 0;
  } else {
    const numeric = parseId(userPart);
    entry =
      numeric === undefined ? passwd.find((e) => e.name === userPart) : passwd.find((e) => e.uid === numeric);
    if (numeric === undefined && entry === undefined)
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `user "${userPart}" is not in the image's ${files.passwd}`,
        { hint: 'Create the user in an earlier step (useradd, adduser), or give a numeric uid.' },
      );
    uid = numeric ?? (entry as PasswdEntry).uid;
  }

  if (groupPart !== undefined && groupPart !== '') {
    const numeric = parseId(groupPart);
    const group = numeric === undefined ? groups.find((g) => g.name === groupPart) : undefined;
    if (numeric === undefined && group === undefined)
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `group "${groupPart}" is not in the image's ${files.group}`,
        { hint: 'Create the group in an earlier step (groupadd, addgroup), or give a numeric gid.' },
      );
    return { uid, gid: numeric ?? (group as GroupEntry).gid, groups: [] };
  }
  const gid = entry?.gid ?? 0;
  if (entry === undefined) return { uid, gid, groups: [] };
  const name = entry.name;
  const supplementary = groups.filter((g) => g.members.includes(name)).map((g) => g.gid);
  return { uid, gid, groups: [...new Set(supplementary)] };
}
