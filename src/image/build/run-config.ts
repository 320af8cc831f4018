/**
 * The run settings of an image as Docker's classic builder carries them from step to step (its
 * `container.Config`): what each instruction changes, what the cache compares, and what ends up as
 * `config` and `container_config` in the image config.
 */
import path from '../../util/node-path.js';

/** An empty JSON object, as Docker writes the values of `ExposedPorts` and `Volumes`. */
export type EmptyObject = Record<string, never>;

/** Docker's container config, as far as a build reads or writes it. */
export interface RunConfig {
  Env: string[];
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  /** Stored as written (`USER app:app`); resolved against /etc/passwd when something runs. */
  User: string;
  WorkingDir: string;
  ExposedPorts?: Record<string, EmptyObject> | undefined;
  Volumes?: Record<string, EmptyObject> | null | undefined;
  Labels?: Record<string, string> | null | undefined;
  Shell?: string[] | undefined;
  StopSignal?: string | undefined;
  /**
   * ONBUILD triggers; a base image's are refused (the builder runs none), and every step writes null
   * as Docker does after FROM.
   */
  OnBuild?: string[] | null | undefined;
  /** Carried from the base as it is; Docker on Linux never changes it during a build. */
  ArgsEscaped?: boolean | undefined;
  /** Kept from the base image when it set them; no instruction the builder knows changes them. */
  Healthcheck?: unknown;
  StopTimeout?: number | undefined;
}

/** The shell of shell-form RUN/CMD/ENTRYPOINT when no SHELL instruction set one. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The PATH Docker gives a stage whose base sets none (scratch included). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A deep copy, so that steps never share arrays or maps. */
export function copyRunConfig(config: RunConfig): RunConfig {
  const copy: RunConfig = {
    ...config,
    Env: [...config.Env],
    Cmd: config.Cmd === null ? null : [...config.Cmd],
    Entrypoint: config.Entrypoint === null ? null : [...config.Entrypoint],
  };
  if (config.ExposedPorts !== undefined) copy.ExposedPorts = { ...config.ExposedPorts };
  if (config.Volumes) copy.Volumes = { ...config.Volumes };
  if (config.Labels) copy.Labels = { ...config.Labels };
  if (config.Shell !== undefined) copy.Shell = [...config.Shell];
  if (config.OnBuild) copy.OnBuild = [...config.OnBuild];
  return copy;
}

/** The shell for shell-form instructions under `config`. */
export function shellOf(config: RunConfig): string[] {
  return [...(config.Shell !== undefined && config.Shell.length > 0 ? config.Shell : DEFAULT_SHELL)];
}

const strings = (value: unknown): string[] | null =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;

const keys = (value: unknown): Record<string, EmptyObject> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.keys(value).map((k) => [k, {}]))
    : undefined;

/**
 * The run config of a base image from the `config` object of its image config (any casing Docker
 * and OCI write), or null when it has none. Unknown fields are dropped, as the build never writes them.
 */
export function runConfigOf(config: unknown): RunConfig | null {
  if (typeof config !== 'object' || config === null) return null;
  const c = config as Record<string, unknown>;
  const labels =
    typeof c['Labels'] === 'object' && c['Labels'] !== null
      ? Object.fromEntries(
          Object.entries(c['Labels']).filter((e): e is [string, string] => typeof e[1] === 'string'),
        )
      : null;
  const result: RunConfig = {
    Env: strings(c['Env']) ?? [],
    Cmd: strings(c['Cmd']),
    Entrypoint: strings(c['Entrypoint']),
    User: typeof c['User'] === 'string' ? c['User'] : '',
    WorkingDir: typeof c['WorkingDir'] === 'string' ? c['WorkingDir'] : '',
    Volumes: keys(c['Volumes']) ?? null,
    Labels: labels,
  };
  const ports = keys(c['ExposedPorts']);
  if (ports !== undefined && Object.keys(ports).length > 0) result.ExposedPorts = ports;
  const shell = strings(c['Shell']);
  if (shell !== null && shell.length > 0) result.Shell = shell;
  if (typeof c['StopSignal'] === 'string' && c['StopSignal'] !== '') result.StopSignal = c['StopSignal'];
  if (c['ArgsEscaped'] === true) result.ArgsEscaped = true;
  if (c['Healthcheck'] !== undefined && c['Healthcheck'] !== null) result.Healthcheck = c['Healthcheck'];
  if (typeof c['StopTimeout'] === 'number') result.StopTimeout = c['StopTimeout'];
  const onBuild = strings(c['OnBuild']);
  if (onBuild !== null && onBuild.length > 0) result.OnBuild = onBuild;
  return result;
}

/** Go's `filepath.Clean` for an absolute path. */
export function cleanPath(value: string): string {
  const normal = path.posix.normalize(value);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/**
 * The probe config of a step: the run config with the step's Cmd. Docker stores it after creating
 * the step's container, which cleans WorkingDir, so the stored value is cleaned here too.
 */
export function probeOf(config: RunConfig, cmd: string[]): RunConfig {
  const probe = copyRunConfig(config);
  probe.Cmd = cmd;
  if (probe.WorkingDir !== '') probe.WorkingDir = cleanPath(probe.WorkingDir);
  return probe;
}
