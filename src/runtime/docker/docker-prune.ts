/**
 * `prune` on Docker: removes images devenv made that nothing uses, and nothing else. `docker image
 * prune --filter label=…` cannot be trusted with that on a shared engine: labels are inherited, so an
 * image someone built FROM a devenv image matches too, and `--all` would delete it.
 */
import { DevenvError } from '../../errors.js';
import { docker } from './docker-cli.js';
import type { DockerTarget } from './docker-cli.js';

interface Entry {
  id: string;
  parent: string;
  tags: string[];
  labels: Record<string, string>;
  size: number;
}

const FORMAT = '{{json .Id}}\t{{json .Parent}}\t{{json .RepoTags}}\t{{json .Config.Labels}}\t{{.Size}}';

function ids(text: string): string[] {
  return [...new Set(text.split('\n').filter(Boolean))];
}

async function allImages(target: DockerTarget): Promise<Entry[]> {
  const list = ids(await docker(target, ['image', 'ls', '--all', '--quiet', '--no-trunc']));
  if (list.length === 0) return [];
  return (await docker(target, ['image', 'inspect', '--format', FORMAT, ...list]))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '""', parent = '""', tags = 'null', labels = 'null', size = '0'] = line.split('\t');
      return {
        id: JSON.parse(id) as string,
        parent: JSON.parse(parent) as string,
        tags: (JSON.parse(tags) as string[] | null) ?? [],
        labels: (JSON.parse(labels) as Record<string, string> | null) ?? {},
        size: Number(size) || 0,
      };
    });
}

async function usedImages(target: DockerTarget): Promise<Set<string>> {
  const containers = ids(await docker(target, ['ps', '--all', '--quiet', '--no-trunc']));
  if (containers.length === 0) return new Set();
  return new Set(
    ids(await docker(target, ['container', 'inspect', '--format', '{{.Image}}', ...containers])),
  );
}

/**
 * Devenv's, and free to go: it carries a `dev.devenv.*` label, every tag it has is in a `devenv/`
 * repository (an in-flight save's `devenv-save/` commit is not), no container uses it and no image is
 * built on it (a base under a live image stays, or the next build would start from scratch).
 */
function removable(image: Entry, used: ReadonlySet<string>, parents: ReadonlySet<string>): boolean {
  if (!Object.keys(image.labels).some((key) => key.startsWith('dev.devenv.'))) return false;
  if (!image.tags.every((tag) => tag.startsWith('devenv/'))) return false;
  return !used.has(image.id) && !parents.has(image.id);
}

/**
 * Bytes that removing `image` frees: its own layers and those of the untagged intermediate images
 * that exist only for it (docker removes those with it), down to the first ancestor that stays.
 */
function ownBytes(image: Entry, images: readonly Entry[]): number {
  const byId = new Map(images.map((i) => [i.id, i]));
  const children = new Map<string, number>();
  for (const i of images) if (i.parent !== '') children.set(i.parent, (children.get(i.parent) ?? 0) + 1);
  let stop = byId.get(image.parent);
  while (stop !== undefined && stop.tags.length === 0 && children.get(stop.id) === 1)
    stop = byId.get(stop.parent);
  return Math.max(0, image.size - (stop?.size ?? 0));
}

/** Removes devenv's unused images; returns the references removed and the bytes they held. */
export async function pruneDevenvImages(
  target: DockerTarget,
): Promise<{ removed: string[]; reclaimedBytes: number }> {
  const removed: string[] = [];
  let reclaimedBytes = 0;
  const refused = new Set<string>();
  // Removing an image can free its parent; look again until a pass finds nothing new.
  for (;;) {
    const images = await allImages(target);
    const used = await usedImages(target);
    const parents = new Set(images.map((image) => image.parent).filter(Boolean));
    // Intermediate build layers (untagged parents) go with the image above them.
    const heads = images.filter((image) => image.tags.length > 0 || !parents.has(image.id));
    const next = heads.filter((image) => removable(image, used, parents) && !refused.has(image.id));
    if (next.length === 0) return { removed, reclaimedBytes };
    for (const image of next) {
      try {
        await docker(target, ['image', 'rm', ...(image.tags.length > 0 ? image.tags : [image.id])]);
        removed.push(...(image.tags.length > 0 ? image.tags : [image.id]));
        reclaimedBytes += ownBytes(image, images);
      } catch (error) {
        // In use since we looked (a create raced us): leave it.
        if (!(error instanceof DevenvError)) throw error;
        refused.add(image.id);
      }
    }
  }
}
