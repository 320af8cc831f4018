/**
 * `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`): where Docker and devenv keep registry
 * credentials. Read leniently (a missing file means no credentials), written atomically with mode 0600,
 * keeping every key we do not manage.
 */
import { mkdir, readFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { z } from 'zod';
import { writeFileAtomic } from '../../../util/atomic.js';
import { registryError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The key Docker uses for Docker Hub in `auths` and for credential helpers. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

const AuthEntrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});

/** The parts of config.json the registry client reads. */
export const DockerConfigSchema = z.looseObject({
  auths: z.record(z.string(), AuthEntrySchema).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});

/** The parsed, loosely validated config.json. */
export type DockerConfig = z.infer<typeof DockerConfigSchema>;

/** The config file's path: `$DOCKER_CONFIG/config.json`, else `<home>/.docker/config.json`. */
export function dockerConfigPath(homeDir: string, env: Env): string {
  const dir = env['DOCKER_CONFIG'];
  return path.join(dir !== undefined && dir !== '' ? dir : path.join(homeDir, '.docker'), 'config.json');
}

/** The parsed file, `{}` when it does not exist; a broken file is an error naming it (never its content). */
export async function readDockerConfig(file: string): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw registryError(`cannot read ${file}`, undefined, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw registryError(`${file} is not valid JSON`, 'fix or remove the file, then run devenv login again');
  }
  const parsed = DockerConfigSchema.safeParse(json);
  if (!parsed.success)
    throw registryError(`${file} does not look like a Docker config file`, 'fix or remove it');
  return parsed.data;
}

/** The `auths`/`credHelpers` key of a registry: Docker Hub's legacy URL, else `host[:port]`. */
export function configKey(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io'
    ? DOCKER_HUB_KEY
    : registry;
}

/** `https://host/v1/` → `host`: how Docker matches `auths` keys written with a scheme or path. */
export function normalizeConfigKey(key: string): string {
  if (key === DOCKER_HUB_KEY) return key;
  const stripped = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(stripped)
    ? DOCKER_HUB_KEY
    : stripped;
}

/**
 * Sets `auths[key]` to `entry` (or removes it when undefined) and writes the file atomically, 0600,
 * creating its folder 0700. Other keys and entries are kept as they were.
 */
export async function updateDockerConfigAuth(
  file: string,
  key: string,
  entry: Record<string, string> | undefined,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const raw = (await readDockerConfig(file)) as Record<string, unknown> & DockerConfig;
  const auths = Object.fromEntries(
    Object.entries(raw.auths ?? {}).filter(([existing]) => normalizeConfigKey(existing) !== key),
  );
  if (entry !== undefined) auths[key] = entry;
  await writeFileAtomic(file, `${JSON.stringify({ ...raw, auths }, null, '\t')}\n`, 0o600);
}
