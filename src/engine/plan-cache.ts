/**
 * The plan cache: what a full load of devenv.yml produced (the compiled plan, the settings, the
 * runtime devenv.yml asks for, its warnings and the digest of the image's inputs), kept so the hot
 * commands (`exec`, `shell`, `attach`, `status`, a no-op `up`) need neither yaml nor zod. One file per
 * config path under the state home, written atomically after every full load (docs/plan-cache.md).
 *
 * An entry is used only when its key equals the key computed now: the config's path, size, mtime,
 * inode and a 64-bit hash of its content; the settings file's stat; devenv's version; the host user and home; and the
 * environment variables a plan depends on. A file that is truncated, fails its checksum, has another
 * format or another key is ignored, and the full load that follows rewrites it.
 */
import { mkdir, readFile, stat } from '../util/fs-async.js';
import type { Stats } from 'node:fs';
import path from '../util/node-path.js';
import type { Diagnostic } from '../config/diagnostic.js';
import type { Settings } from '../config/settings.js';
import type { Plan } from '../plan/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { quickHash } from '../util/quick-hash.js';
import { stateHome } from '../util/paths.js';
import { array, number, object, optional, parseShape, record, string } from '../util/shape.js';
import type { Check } from '../util/shape.js';
import type { InputEntry } from './input-stats.js';

/** Bumped whenever what an entry holds changes meaning; an entry of another format is ignored. */
export const PLAN_CACHE_FORMAT = 2;

type Env = Readonly<Record<string, string | undefined>>;

/** The caller's environment variables a plan (or the runtime it picks) depends on. */
export function planEnv(env: Env): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined) continue;
    if (
      /proxy$/i.test(name) ||
      name.startsWith('XDG_') ||
      ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DISPLAY', 'XAUTHORITY'].includes(name)
    )
      kept[name] = value;
  }
  return kept;
}

/** What identifies one file's version without reading it. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** The stamp of a stat result. */
export function stampOf(info: Stats): FileStamp {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
}

/** Everything an entry depends on; an entry whose key differs in any field is not used. */
export interface PlanCacheKey {
  configFile: string;
  /** With the quick hash of the content: an edit that keeps the size within one mtime tick. */
  config: FileStamp & { hash: string };
  settingsFile: string;
  /** `null` when there is no settings file (the defaults apply). */
  settings: FileStamp | null;
  version: string;
  hostUser: { name: string; uid: number; gid: number };
  homeDir: string;
  /**
   * The quick hash of the variables {@link planEnv} keeps, not their values: a proxy variable may
   * hold a password, which is not copied into the cache.
   */
  env: string;
}

/** What a full load produced, as the hot path needs it. */
export interface PlanCacheEntry {
  projectDir: string;
  prefix: string[];
  plan: Plan;
  settings: Settings;
  /** devenv.yml's `runtime:`. */
  runtime?: string | undefined;
  /** devenv.yml's warnings, printed again on every command, with the config path as first shown. */
  warnings: Diagnostic[];
  /** Where devenv.yml names each base image: ref → `file:line:col`, the file as an absolute path. */
  imageLines: Record<string, string>;
  /** The digest of the image's inputs and the stat of every file and folder it covered. */
  inputs?: { digest: string; entries: InputEntry[] } | undefined;
}

/** Any object, kept whole. */
function wholeObject<T>(check: Check<unknown>): Check<T> {
  return (value, at) => {
    check(value, at);
    return value as T;
  };
}

const stampShape = { size: number, mtimeMs: number, ctimeMs: number, ino: number };
const settingsShape = wholeObject<Settings>(object({ runtime: string }));
const entryShape = object({
  projectDir: string,
  prefix: array(string),
  // The plan and settings were made by this very version of devenv (the key holds the version) and
  // the checksum shows they are the bytes it wrote; their outer shape is checked, not every field.
  plan: wholeObject<Plan>(object({ name: string, image: object({ tag: string }) })),
  settings: settingsShape,
  runtime: optional(string),
  warnings: wholeObject<Diagnostic[]>(array(object({ message: string }))),
  imageLines: record(string),
  inputs: optional(
    object({
      digest: string,
      entries: array(object({ path: string, mode: number, ...stampShape })),
    }),
  ),
});

/** The folder of plan cache files. */
export function planCacheDir(env: Env, homeDir: string): string {
  return path.join(stateHome(env, homeDir), 'plan-cache');
}

/** The one cache file of a config path. */
export function planCacheFile(dir: string, configFile: string): string {
  return path.join(dir, `${quickHash(configFile)}.json`);
}

/** The key of `configFile` as it is now; `text` is its content, already read. */
export async function planCacheKey(input: {
  configFile: string;
  text: Buffer;
  info: Stats;
  settingsFile: string;
  version: string;
  hostUser: { name: string; uid: number; gid: number };
  homeDir: string;
  env: Env;
}): Promise<PlanCacheKey> {
  const settings = await stat(input.settingsFile).catch(() => undefined);
  return {
    configFile: input.configFile,
    config: { ...stampOf(input.info), hash: quickHash(input.text) },
    settingsFile: input.settingsFile,
    settings: settings === undefined ? null : stampOf(settings),
    version: input.version,
    hostUser: { name: input.hostUser.name, uid: input.hostUser.uid, gid: input.hostUser.gid },
    homeDir: input.homeDir,
    env: quickHash(JSON.stringify(planEnv(input.env))),
  };
}

/** A cache file's checksum line: against a file cut short or damaged, not against a writer. */
const CHECKSUM_LENGTH = 16;
const checksum = quickHash;

/**
 * The entry `file` holds for `key`, checked by `check`; undefined when there is none that can be
 * trusted. The file is `<quick hash of the rest>\n<json>`, so a truncated or damaged file fails the
 * checksum before it is parsed.
 */
async function readCacheFile<T>(file: string, key: unknown, check: Check<T>): Promise<T | undefined> {
  const raw = await readFile(file, 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  const newline = raw.indexOf('\n');
  if (newline !== CHECKSUM_LENGTH) return undefined;
  const body = raw.slice(newline + 1);
  if (checksum(body) !== raw.slice(0, newline)) return undefined;
  try {
    const parsed = JSON.parse(body) as { format?: unknown; key?: unknown; entry?: unknown };
    if (parsed.format !== PLAN_CACHE_FORMAT) return undefined;
    if (JSON.stringify(parsed.key) !== JSON.stringify(key)) return undefined;
    return parseShape(check, parsed.entry);
  } catch {
    return undefined;
  }
}

/** Stores `entry` for `key`, atomically; a cache that cannot be written is only a slower next command. */
async function writeCacheFile(file: string, key: unknown, entry: unknown): Promise<void> {
  const body = JSON.stringify({ format: PLAN_CACHE_FORMAT, key, entry });
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${checksum(body)}\n${body}`, 0o600);
  } catch {
    // A read-only or full state folder: the next command does the full load again.
  }
}

/** The entry stored for `key`, or undefined when there is none that can be trusted. */
export async function readPlanCache(file: string, key: PlanCacheKey): Promise<PlanCacheEntry | undefined> {
  return readCacheFile(file, key, entryShape);
}

/**
 * True when `settings` names a proxy of its own. Its URL may carry a password, which devenv keeps
 * only where the user put it and in the environment's secret env file, never in a cache.
 */
function hasProxy(settings: Settings): boolean {
  return typeof settings.proxy === 'object' && Object.keys(settings.proxy).length > 0;
}

/**
 * True when the entry holds proxy values (which may hold a password); such an entry is not cached:
 * a project behind a proxy loads in full every time.
 */
export function holdsSecrets(entry: PlanCacheEntry): boolean {
  return (
    Object.keys(entry.plan.run.secretEnv).length > 0 ||
    Object.keys(entry.plan.image.proxyArgs).length > 0 ||
    hasProxy(entry.settings)
  );
}

/** Stores `entry` for `key`, atomically, unless it {@link holdsSecrets}. */
export async function writePlanCache(file: string, key: PlanCacheKey, entry: PlanCacheEntry): Promise<void> {
  if (holdsSecrets(entry)) return;
  await writeCacheFile(file, key, entry);
}

/** What the settings depend on: the file's path and stat (`null`: no file) and devenv's version. */
export interface SettingsCacheKey {
  settingsFile: string;
  settings: FileStamp | null;
  version: string;
}

/** The key of the settings file as it is now. */
export async function settingsCacheKey(settingsFile: string, version: string): Promise<SettingsCacheKey> {
  const info = await stat(settingsFile).catch(() => undefined);
  return { settingsFile, settings: info === undefined ? null : stampOf(info), version };
}

/** The settings file's cache, beside the plans: for commands that need the settings and no project. */
export function settingsCacheFile(dir: string): string {
  return path.join(dir, 'settings.json');
}

/** The settings stored for `key`, or undefined. */
export async function readSettingsCache(file: string, key: SettingsCacheKey): Promise<Settings | undefined> {
  return readCacheFile(file, key, settingsShape);
}

/** Stores the settings for `key`, atomically. */
export async function writeSettingsCache(
  file: string,
  key: SettingsCacheKey,
  settings: Settings,
): Promise<void> {
  if (hasProxy(settings)) return;
  await writeCacheFile(file, key, settings);
}

/** How long after a write a file's stat is trusted to show the next write. */
const SETTLED_MS = 2_000;

/**
 * True when a file was written so recently that another write within the same timestamp tick would
 * not show in its stat; such a stat is not trusted as a key (git's "racily clean" rule). The mtime is
 * what matters: a later write always moves it, and the key holds the ctime too.
 */
export function changedJustNow(stamp: FileStamp | null, now: number): boolean {
  return stamp !== null && stamp.mtimeMs > now - SETTLED_MS;
}
