/**
 * Loads devenv.yml: finds it ({@link findConfig}), reads it with a size cap and validates it.
 */
import { readFile, stat } from '../util/fs-async.js';
import path from '../util/node-path.js';
import { DevenvError } from '../errors.js';
import { fsProblem } from '../util/fs-problem.js';
import { ConfigError } from './diagnostic.js';
import type { Diagnostic } from './diagnostic.js';
import { findConfig } from './find-config.js';
import type { FoundConfig, LocateOptions } from './find-config.js';
import { MAX_FILE_BYTES } from './parse-yaml.js';
import { validateConfigText } from './validate.js';
import type { ResolvedConfig } from './validate.js';

export { findConfig, SEARCH_PLACES } from './find-config.js';
export type { FoundConfig, LocateOptions } from './find-config.js';

/** Loaded and validated: the config, where it came from, and any warnings. */
export interface LoadedConfig extends FoundConfig {
  config: ResolvedConfig;
  text: string;
  warnings: Diagnostic[];
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
