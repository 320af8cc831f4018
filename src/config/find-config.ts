/**
 * Finds devenv.yml without reading it: `-f FILE`, or a walk from `-C DIR` (or the working directory)
 * upwards through `devenv.yml`, `devenv.yaml`, `.devenv.yml`, `.config/devenv.yml` and a `devenv` key
 * in package.json. A plain stat per place, so every command (the hot ones included) can afford it.
 */
import { access, constants, readFile, stat } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';

/** Names searched in each folder, in order. */
export const SEARCH_PLACES = [
  'devenv.yml',
  'devenv.yaml',
  '.devenv.yml',
  '.config/devenv.yml',
  'package.json',
] as const;

export interface LocateOptions {
  /** Working directory of the caller. */
  cwd: string;
  /** `-C DIR`: where to start searching. */
  dir?: string | undefined;
  /** `-f FILE`: use exactly this file. */
  file?: string | undefined;
  /** The search stops above this folder (the user's home) and at the filesystem root. */
  homeDir: string;
}

/** A located config file: its path and, for package.json, the key that holds the config. */
export interface FoundConfig {
  file: string;
  projectDir: string;
  prefix: readonly string[];
}

/** The project folder of a config file: the folder above `.config/`, else the file's own folder. */
function projectDirOf(file: string): string {
  const dir = path.dirname(file);
  return path.basename(dir) === '.config' ? path.dirname(dir) : dir;
}

/** True when `file` is a package.json whose top level has a `devenv` key. */
async function packageHasConfig(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DevenvError('DEVENV_CONFIG_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'fix the JSON, or pass -f with the devenv.yml to use',
      cause: error,
    });
  }
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'devenv');
}

/**
 * The config in `dir`: the first readable search place; failing that, the first one that exists but
 * cannot be read (it is still the project's config, and reading it reports the problem by name).
 */
async function configIn(dir: string): Promise<FoundConfig | undefined> {
  let unreadable: string | undefined;
  for (const name of SEARCH_PLACES) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() !== true) continue;
    const readable = await access(file, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (name === 'package.json') {
      if (readable && (await packageHasConfig(file))) return { file, projectDir: dir, prefix: ['devenv'] };
      continue;
    }
    if (readable) return { file, projectDir: projectDirOf(file), prefix: [] };
    unreadable ??= file;
  }
  return unreadable === undefined
    ? undefined
    : { file: unreadable, projectDir: projectDirOf(unreadable), prefix: [] };
}

/** Finds the config file, or returns `undefined` when there is none. */
export async function findConfig(options: LocateOptions): Promise<FoundConfig | undefined> {
  if (options.file !== undefined) {
    const file = path.resolve(options.cwd, options.file);
    const isPackage = path.basename(file) === 'package.json';
    return { file, projectDir: path.dirname(file), prefix: isPackage ? ['devenv'] : [] };
  }
  let dir = path.resolve(options.cwd, options.dir ?? '.');
  const stopAt = path.resolve(options.homeDir);
  for (;;) {
    const found = await configIn(dir);
    if (found !== undefined) return found;
    const parent = path.dirname(dir);
    if (parent === dir || dir === stopAt || options.dir !== undefined) return undefined;
    dir = parent;
  }
}
