/**
 * The image config a build step commits, written as Docker 20.10's classic builder writes it
 * (image.NewChildImage, then `docker save`): top-level keys in sorted order, `config` and
 * `container_config` with every field of Docker's container config in its order, the parent image
 * ID as their `Image`, history entries with `empty_layer` for steps that added no layer, and Go's
 * JSON escaping (`<`, `>`, `&` as \u003c…).
 */
import type { ImageConfig } from '../oci/image-config.js';
import { parseImageConfig } from '../oci/image-config.js';
import type { RunConfig } from './run-config.js';

/** One entry of an image's history. */
export interface HistoryEntry {
  created?: string | undefined;
  author?: string | undefined;
  created_by?: string | undefined;
  comment?: string | undefined;
  empty_layer?: boolean | undefined;
}

/** What a committed image is made of. */
export interface ImageConfigInput {
  /** The base image's config, for what Docker carries over (`os.version`, `os.features`, `variant`). */
  base?: ImageConfig | undefined;
  /** The run config after the step. */
  config: RunConfig;
  /** The step's probe config (Docker's `container_config`). */
  containerConfig: RunConfig;
  /** The image this step was built on (`sha256:…`), written as `Image`; '' on scratch. */
  parent?: string | undefined;
  /** The whole history: the base image's entries, then this build's. */
  history: HistoryEntry[];
  /** Every layer: the base image's, then this build's. */
  diffIds: string[];
  created: string;
  architecture: string;
  os: string;
  /** The MAINTAINER in effect. */
  author?: string | undefined;
}

/** Docker's `container.Config` in its field order, with its omitempty rules. */
function dockerRunConfig(config: RunConfig, image: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Hostname: '',
    Domainname: '',
    User: config.User,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (config.ExposedPorts !== undefined && Object.keys(config.ExposedPorts).length > 0)
    out['ExposedPorts'] = sortedObject(config.ExposedPorts);
  Object.assign(out, { Tty: false, OpenStdin: false, StdinOnce: false, Env: config.Env, Cmd: config.Cmd });
  if (config.Healthcheck !== undefined && config.Healthcheck !== null)
    out['Healthcheck'] = config.Healthcheck;
  if (config.ArgsEscaped === true) out['ArgsEscaped'] = true;
  Object.assign(out, {
    Image: image,
    Volumes: config.Volumes ? sortedObject(config.Volumes) : null,
    WorkingDir: config.WorkingDir,
    Entrypoint: config.Entrypoint,
    OnBuild: config.OnBuild ?? null,
    Labels: config.Labels ? sortedObject(config.Labels) : null,
  });
  if (config.StopSignal !== undefined && config.StopSignal !== '') out['StopSignal'] = config.StopSignal;
  if (config.StopTimeout !== undefined) out['StopTimeout'] = config.StopTimeout;
  if (config.Shell !== undefined && config.Shell.length > 0) out['Shell'] = config.Shell;
  return out;
}

/** Go marshals maps with sorted keys. */
function sortedObject<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, map[k] as T]),
  );
}

function historyEntry(entry: HistoryEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (entry.created !== undefined) out['created'] = entry.created;
  if (entry.author !== undefined && entry.author !== '') out['author'] = entry.author;
  if (entry.created_by !== undefined && entry.created_by !== '') out['created_by'] = entry.created_by;
  if (entry.comment !== undefined && entry.comment !== '') out['comment'] = entry.comment;
  if (entry.empty_layer === true) out['empty_layer'] = true;
  return out;
}

/** JSON as Go's encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The config JSON bytes of a committed build step. They parse with our ImageConfig schema; their
 * sha256 is the image ID.
 */
export function imageConfigFor(input: ImageConfigInput): Buffer {
  const image = input.parent ?? '';
  const top: Record<string, unknown> = {
    architecture: input.architecture,
    author: input.author === '' ? undefined : input.author,
    config: dockerRunConfig(input.config, image),
    container_config: dockerRunConfig(input.containerConfig, image),
    created: input.created,
    history: input.history.map(historyEntry),
    os: input.os,
    'os.features': input.base?.['os.features'],
    'os.version': input.base?.['os.version'],
    rootfs: { type: 'layers', diff_ids: input.diffIds },
    variant: input.base?.['variant'],
  };
  const sorted = Object.fromEntries(
    Object.keys(top)
      .sort()
      .filter((k) => top[k] !== undefined && top[k] !== '')
      .map((k) => [k, top[k]]),
  );
  const bytes = Buffer.from(goJson(sorted));
  parseImageConfig(bytes, 'the built image config');
  return bytes;
}
