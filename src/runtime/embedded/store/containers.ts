/**
 * What the store needs to know about containers, which a later issue defines: each
 * `containers/<id>/config.json` names the image it uses (a GC root, as in moby's
 * TestPruneDontDeleteUsedImage) and `containers/<id>/state.json` says whether it runs (a storage
 * move must not pull the store from under it). Read loosely: only those two fields matter here.
 */
import path from 'node:path';
import { z } from 'zod';
import type { StoreContext } from './store-context.js';
import { listDir } from './fs-util.js';
import { readJsonFile } from './json-file.js';
import { normalizeTag } from './refs.js';

const ContainerConfigSchema = z.looseObject({ image: z.string().optional(), imageId: z.string().optional() });
const ContainerStateSchema = z.looseObject({ status: z.string().optional(), state: z.string().optional() });

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
  for (const container of await listDir(ctx.paths.containersDir)) {
    const file = path.join(ctx.paths.containersDir, container, 'config.json');
    const read = await readJsonFile(file, ContainerConfigSchema);
    if (read.state === 'missing') continue;
    if (read.state === 'corrupt') {
      uses.push({ container, file, image: undefined, id: undefined, corrupt: read.reason });
      continue;
    }
    const image = read.value.imageId ?? read.value.image;
    uses.push({ container, file, image, id: image === undefined ? undefined : resolveImage(image, refs) });
  }
  return uses;
}

const RUNNING = new Set(['running', 'paused', 'restarting']);

/** Names of containers whose state.json says they run (or are paused or restarting). */
export async function runningContainers(ctx: StoreContext): Promise<string[]> {
  const running: string[] = [];
  for (const container of await listDir(ctx.paths.containersDir)) {
    const read = await readJsonFile(
      path.join(ctx.paths.containersDir, container, 'state.json'),
      ContainerStateSchema,
    );
    if (read.state === 'ok' && RUNNING.has(read.value.status ?? read.value.state ?? ''))
      running.push(container);
  }
  return running;
}
