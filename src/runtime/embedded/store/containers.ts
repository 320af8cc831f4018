/**
 * The store's typed reader of container records, shared by prune, doctor, `storage move` and the
 * containers code: each `containers/<id>/config.json` names the image it uses (a GC root, as in
 * moby's TestPruneDontDeleteUsedImage) and the named volumes it mounts, and `containers/<id>/state.json`
 * says whether it runs (a storage move must not pull the store from under it). Read loosely: the
 * records hold more fields, which belong to the containers code; only these matter here.
 */
import path from '../../../util/node-path.js';
import { array, object, optional, string } from '../../../util/shape.js';
import type { Checked } from '../../../util/shape.js';
import type { StoreContext } from './store-context.js';
import { listDir } from './fs-util.js';
import { readJsonFile } from './json-file.js';
import { normalizeTag } from '../../../image/reference.js';

const ContainerConfigSchema = object({
  image: optional(string),
  imageId: optional(string),
  volumes: optional(array(string)),
});
const ContainerStateSchema = object({ status: optional(string), state: optional(string) });

/** What the store reads of one container's config.json. */
export type ContainerConfigFields = Checked<typeof ContainerConfigSchema>;

/** One container as the store sees it. */
export interface ContainerRecord {
  /** Its folder name under `containers/`. */
  container: string;
  /** Its config.json. */
  configFile: string;
  /** The fields of config.json the store uses; undefined when it is missing or corrupt. */
  config: ContainerConfigFields | undefined;
  /** Why config.json cannot be read, when it cannot. */
  corrupt: string | undefined;
  /** `status` (or `state`) of state.json; undefined when there is none or it cannot be read. */
  status: string | undefined;
}

/**
 * Every container folder, sorted by name. One without a config.json (a creation in flight) claims no
 * image and no volume, but its state still counts.
 */
export async function readContainerRecords(ctx: StoreContext): Promise<ContainerRecord[]> {
  const records: ContainerRecord[] = [];
  for (const container of await listDir(ctx.paths.containersDir)) {
    const dir = path.join(ctx.paths.containersDir, container);
    const configFile = path.join(dir, 'config.json');
    const config = await readJsonFile(configFile, ContainerConfigSchema);
    const state = await readJsonFile(path.join(dir, 'state.json'), ContainerStateSchema);
    records.push({
      container,
      configFile,
      config: config.state === 'ok' ? config.value : undefined,
      corrupt: config.state === 'corrupt' ? config.reason : undefined,
      status: state.state === 'ok' ? (state.value.status ?? state.value.state) : undefined,
    });
  }
  return records;
}

/** One container's claim on an image. */
export interface ContainerImageUse {
  container: string;
  file: string;
  /** The image as written (`imageId` when present, else `image`). */
  image: string | undefined;
  /** The image ID it resolves to through `refs`, when it does. */
  id: string | undefined;
  /** Set when config.json cannot be read. */
  corrupt?: string | undefined;
}

function resolveImage(image: string, refs: Readonly<Record<string, string>>): string | undefined {
  if (/^sha256:[a-f0-9]{64}$/.test(image)) return image;
  try {
    return refs[normalizeTag(image)];
  } catch {
    return undefined;
  }
}

/** The image every container uses, resolved through `refs` (tag → ID). */
export async function containerImages(
  ctx: StoreContext,
  refs: Readonly<Record<string, string>>,
): Promise<ContainerImageUse[]> {
  const uses: ContainerImageUse[] = [];
  for (const { container, configFile: file, config, corrupt } of await readContainerRecords(ctx)) {
    if (corrupt !== undefined) uses.push({ container, file, image: undefined, id: undefined, corrupt });
    if (config === undefined) continue;
    const image = config.imageId ?? config.image;
    uses.push({ container, file, image, id: image === undefined ? undefined : resolveImage(image, refs) });
  }
  return uses;
}

/** One container's named volumes. */
export interface ContainerVolumeUse {
  container: string;
  file: string;
  /** The named volumes it mounts, as config.json lists them. */
  volumes: string[];
  /** Set when config.json cannot be read (then it might mount any volume). */
  corrupt?: string | undefined;
}

/** The named volumes every container mounts (the `volumes` field of its config.json). */
export async function containerVolumes(ctx: StoreContext): Promise<ContainerVolumeUse[]> {
  const uses: ContainerVolumeUse[] = [];
  for (const { container, configFile: file, config, corrupt } of await readContainerRecords(ctx)) {
    if (corrupt !== undefined) uses.push({ container, file, volumes: [], corrupt });
    else if (config !== undefined) uses.push({ container, file, volumes: config.volumes ?? [] });
  }
  return uses;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

/** Names of containers whose state.json says they run (or are paused or restarting). */
export async function runningContainers(ctx: StoreContext): Promise<string[]> {
  return (await readContainerRecords(ctx))
    .filter((record) => RUNNING.has(record.status ?? ''))
    .map((record) => record.container);
}
