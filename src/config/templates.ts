/** Reads `templates/`: install fragments for the plan and starters for `devenv init`. */
import { readFile, readdir } from '../util/fs-async.js';
import { fileURLToPath } from 'node:url';
import path from '../util/node-path.js';
import type { PackageManager } from './schema.js';
import type { Fragments } from '../plan/types.js';

/** The `templates/` folder shipped with devenv (next to `dist/` and `src/`). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** The command lines of a fragment file: comments and blank lines dropped. */
export function fragmentLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const MANAGERS: readonly PackageManager[] = ['apt', 'apk', 'dnf', 'yum', 'microdnf', 'pacman', 'zypper'];

/** Loads every install fragment. */
export async function loadFragments(dir = TEMPLATES_DIR): Promise<Fragments> {
  const read = async (file: string) => fragmentLines(await readFile(path.join(dir, file), 'utf8'));
  const packages = Object.fromEntries(
    await Promise.all(MANAGERS.map(async (m) => [m, await read(`packages/${m}.sh`)] as const)),
  ) as Record<PackageManager, string[]>;
  return { packages, createUser: await read('user/create-user.sh') };
}

/** Names of the `devenv init` templates. */
export async function initTemplateNames(dir = TEMPLATES_DIR): Promise<string[]> {
  const files = await readdir(path.join(dir, 'init'));
  return files
    .filter((f) => f.endsWith('.yml'))
    .map((f) => f.slice(0, -'.yml'.length))
    .sort();
}

/** The text of one `devenv init` template. */
export async function readInitTemplate(name: string, dir = TEMPLATES_DIR): Promise<string> {
  return readFile(path.join(dir, 'init', `${name}.yml`), 'utf8');
}
