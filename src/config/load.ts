/**
 * Finds and loads devenv.yml: `-f FILE`, or a search with cosmiconfig from `-C DIR` (or the working
 * directory) upwards through `devenv.yml`, `devenv.yaml`, `.devenv.yml`, `.config/devenv.yml` and a
 * `devenv` key in package.json.
 */
import { access, constants, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { DevenvError } from '../errors.js';
import { fsProblem } from '../util/fs-problem.js';
import { ConfigError } from './diagnostic.js';
import type { Diagnostic } from './diagnostic.js';
import { MAX_FILE_BYTES } from './parse-yaml.js';
import { validateConfigText } from './validate.js';
import type { ResolvedConfig } from './validate.js';

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

/** Loaded and validated: the config, where it came from, and any warnings. */
export interface LoadedConfig extends FoundConfig {
  config: ResolvedConfig;
  text: string;
  warnings: Diagnostic[];
}

// cosmiconfig is used for discovery only: the loaders hand back the raw text, so `$import` and
// js-yaml never see it and the YAML is parsed once, by parseYaml, with positions.
const raw = (_file: string, content: string) => ({ raw: content });

/** The first devenv.yml-like file in `dir` that exists but cannot be read, if any. */
async function unreadableConfig(dir: string): Promise<FoundConfig | undefined> {
  for (const name of SEARCH_PLACES) {
    if (name === 'package.json') continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() !== true) continue;
    const denied = await access(file, constants.R_OK).then(
      () => false,
      () => true,
    );
    if (denied) return { file, projectDir: dir, prefix: [] };
  }
  return undefined;
}

/** Finds the config file, or returns `undefined` when there is none. */
export async function findConfig(options: LocateOptions): Promise<FoundConfig | undefined> {
  if (options.file !== undefined) {
    const file = path.resolve(options.cwd, options.file);
    const isPackage = path.basename(file) === 'package.json';
    return { file, projectDir: path.dirname(file), prefix: isPackage ? ['devenv'] : [] };
  }
  const explorer = cosmiconfig('devenv', {
    searchPlaces: [...SEARCH_PLACES],
    packageProp: 'devenv',
    loaders: { '.yml': raw, '.yaml': raw, noExt: raw },
    searchStrategy: 'none',
    cache: false,
    ignoreEmptySearchPlaces: false,
  });
  let dir = path.resolve(options.cwd, options.dir ?? '.');
  const stopAt = path.resolve(options.homeDir);
  for (;;) {
    const found = await explorer.search(dir);
    if (found !== null) {
      const isPackage = path.basename(found.filepath) === 'package.json';
      const projectDir =
        path.basename(path.dirname(found.filepath)) === '.config'
          ? path.dirname(path.dirname(found.filepath))
          : path.dirname(found.filepath);
      return { file: found.filepath, projectDir, prefix: isPackage ? ['devenv'] : [] };
    }
    // cosmiconfig skips a file it cannot read as if it were absent; one that exists is still the
    // project's config, and reading it reports the permission problem by name.
    const unreadable = await unreadableConfig(dir);
    if (unreadable !== undefined) return unreadable;
    const parent = path.dirname(dir);
    if (parent === dir || dir === stopAt || options.dir !== undefined) return undefined;
    dir = parent;
  }
}

/**
 * Finds, reads and validates devenv.yml; throws {@link ConfigError} with every problem, or a
 * not-found error that says how to create one.
 */
export async function loadConfig(options: LocateOptions): Promise<LoadedConfig> {
  const found = await findConfig(options);
  if (found === undefined) {
    const where = path.resolve(options.cwd, options.dir ?? '.');
    if (options.dir !== undefined && !(await isFolder(where)))
      throw new DevenvError('DEVENV_CONFIG_NOT_FOUND', `${where} does not exist or is not a folder`, {
        hint: 'pass -C the project folder that holds devenv.yml',
      });
    throw new DevenvError('DEVENV_CONFIG_NOT_FOUND', `no devenv.yml in ${where} or the folders above it`, {
      hint: 'run "devenv init" to write one, or pass -f FILE or -C DIR',
    });
  }
  const text = await readConfigText(found.file);
  const shown = path.relative(options.cwd, found.file) || found.file;
  const result = validateConfigText(text, {
    file: shown.startsWith('..') ? found.file : shown,
    projectDir: found.projectDir,
    homeDir: options.homeDir,
    prefix: found.prefix,
  });
  if (!result.ok) throw new ConfigError(result.diagnostics, shown);
  return {
    ...found,
    config: result.config,
    text,
    warnings: result.diagnostics.filter((d) => d.severity === 'warning'),
  };
}

/** Reads a config file with a size cap, turning fs errors into messages that name the file. */
export async function readConfigText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new DevenvError('DEVENV_CONFIG_NOT_FOUND', `${file} is not a regular file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new DevenvError(
        'DEVENV_CONFIG_INVALID',
        `${file} is ${Math.round(info.size / 1024)} KiB; a devenv.yml may be at most ${MAX_FILE_BYTES / 1024} KiB`,
      );
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof DevenvError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new DevenvError('DEVENV_CONFIG_NOT_FOUND', `${file} does not exist`, {
        hint: 'check the path given to -f',
        cause: error,
      });
    if (code === 'EACCES')
      throw new DevenvError('DEVENV_CONFIG_INVALID', `cannot read ${file}: permission denied`, {
        hint: `make it readable for you (chmod u+r ${file}), or run devenv as its owner`,
        cause: error,
      });
    const problem = await fsProblem(error, file);
    if (problem === undefined) throw error;
    throw new DevenvError('DEVENV_CONFIG_NOT_FOUND', `cannot read ${file}: ${problem}`, {
      hint: 'check the path given to -f or -C',
      cause: error,
    });
  }
}

async function isFolder(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() === true;
}
