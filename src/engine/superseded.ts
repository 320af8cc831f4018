/**
 * Images devenv made for one environment, and removing them when they are superseded or when the
 * environment goes. Every rebuild retags `devenv/<name>:latest` and leaves the previous image
 * untagged (hundreds of MB each); nothing else would ever remove it.
 */
import { DevenvError } from '../errors.js';
import { LABELS } from '../plan/compile-plan.js';
import { imageTag } from '../plan/naming.js';
import type { ImageSummary } from '../runtime/runtime.js';
import type { EngineContext } from './engine-context.js';

/** The repository of the environment's image (`devenv/<slug>`); `:state` and base stages live beside it. */
function repositoryOf(name: string): string {
  return imageTag(name).replace(/:[^:/]+$/, '');
}

/** The tag of the commit that keeps a container's files across a recreate. */
export function stateTag(name: string): string {
  return `${repositoryOf(name)}:state`;
}

/**
 * True for an image that is devenv's own for `name`: labelled with the name and tagged only in the
 * environment's repositories (or not at all). An image someone pushed and pulled under another name
 * keeps its labels but is not ours to delete.
 */
function ownedBy(image: ImageSummary, name: string): boolean {
  const repository = repositoryOf(name);
  const ours = (tag: string): boolean =>
    tag.startsWith(`${repository}:`) || tag.startsWith(`${repository}-base:`);
  const label = image.labels[LABELS.name];
  if (image.tags.length === 0) return label === name;
  // `devenv/x-base` is both x's base and the image of an environment named x-base: the label tells.
  return image.tags.every(ours) && (label === name || label === undefined);
}

/** Removes one image; false when the engine refuses because a container or a child image uses it. */
async function removeIfUnused(ctx: EngineContext, ref: string): Promise<boolean> {
  try {
    await ctx.runtime.removeImage(ref, { force: false });
    return true;
  } catch (error) {
    if (error instanceof DevenvError) return false;
    throw error;
  }
}

/**
 * After a build or a recreate: removes the environment's untagged images and its `:state` commit
 * when no container uses them any more (the engine refuses to remove an image in use, and that is
 * the check: asking first would race with the next create).
 */
export async function removeSupersededImages(ctx: EngineContext, name: string): Promise<string[]> {
  const removed: string[] = [];
  if (
    (await ctx.runtime.inspectImage(stateTag(name))) !== undefined &&
    (await removeIfUnused(ctx, stateTag(name)))
  )
    removed.push(stateTag(name));
  for (const image of await ctx.runtime.listImages({ all: true })) {
    if (image.tags.length > 0 || image.labels[LABELS.name] !== name) continue;
    if (await removeIfUnused(ctx, image.id)) removed.push(image.id);
  }
  if (removed.length > 0)
    ctx.onEvent({
      type: 'info',
      message: `removed ${removed.length} superseded image${removed.length === 1 ? '' : 's'} of ${name}`,
    });
  return removed;
}

/**
 * Removes every image of environment `name` that no container uses: its image, its `:state` commit,
 * untagged leftovers and the base images imported for it. Returns the tags (or ids) removed.
 */
export async function removeEnvironmentImages(ctx: EngineContext, name: string): Promise<string[]> {
  const removed: string[] = [];
  let pending = (await ctx.runtime.listImages({ all: true }))
    .filter((image) => ownedBy(image, name))
    .flatMap((image) => (image.tags.length > 0 ? image.tags : [image.id]));
  // A parent (the base under the image, the image under its :state commit) can go only after its
  // children, and the engine does not say which is which: repeat while a pass removes something.
  for (;;) {
    const refused: string[] = [];
    for (const ref of pending) ((await removeIfUnused(ctx, ref)) ? removed : refused).push(ref);
    if (refused.length === pending.length) return removed;
    pending = refused;
  }
}
