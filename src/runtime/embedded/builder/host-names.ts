/**
 * User and group names of this machine by number. Docker's classic builder hashes the owner names of
 * files a COPY --from reads with the daemon's own passwd and group files, so the cache key does too.
 */
import { readFileSync } from 'node:fs';

function namesOf(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name !== undefined && name !== '' && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id)))
      names.set(Number(id), name);
  }
  return names;
}

let cached: { users: Map<number, string>; groups: Map<number, string> } | undefined;

/** The machine's user and group names, read once. */
export function hostNames(): { users: Map<number, string>; groups: Map<number, string> } {
  cached ??= { users: namesOf('/etc/passwd'), groups: namesOf('/etc/group') };
  return cached;
}
