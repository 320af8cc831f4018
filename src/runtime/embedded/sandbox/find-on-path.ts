/**
 * Finding an executable by name. On its own, with nothing but `node:fs` behind it, because the
 * exec path needs it and must not load the host probe (and the process library it uses).
 */
import { constants } from 'node:fs';
import { access } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';

/** The first executable `name` on `env.PATH`. */
export async function findOnPath(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
