/**
 * `rmi` on the embedded runtime, with Docker's rules: a tag is untagged, and the image goes when its
 * last tag went; an ID removes the image, but only with `--force` while several tags name it. The
 * layers and blobs no image uses any more are swept at once, as Docker frees them, while untagged
 * images that were not named stay (that is `prune`'s job).
 */
import { DevenvError } from '../../errors.js';
import { familiarTag, normalizeTag } from '../../image/reference.js';
import { pruneStore } from './store/index.js';
import type { Store } from './store/index.js';

/** The stored tag `ref` names, when it names one (an invalid reference names none). */
function storedTag(ref: string, refs: Readonly<Record<string, string>>): string | undefined {
  try {
    const name = normalizeTag(ref);
    return name in refs ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `ref`; returns Docker's lines (`Untagged: busybox:latest`, `Deleted: sha256:…`). */
export async function removeImage(store: Store, ref: string, force: boolean): Promise<string[]> {
  const lines = await store.ctx.withStoreLock(`removing ${ref}`, async () => {
    const refs = await store.refs.all();
    const tag = storedTag(ref, refs);
    const id = tag !== undefined ? refs[tag] : await store.refs.resolve(ref).catch(() => undefined);
    if (id === undefined)
      throw new DevenvError('DEVENV_NOT_FOUND', `no such image: ${ref}`, {
        hint: 'devenv --runtime embedded images lists what is stored',
      });
    const tags = await store.refs.tagsOf(id);
    if (tag === undefined && tags.length > 1 && !force)
      throw new DevenvError(
        'DEVENV_BUSY',
        `image ${id.slice(7, 19)} is tagged ${tags.join(', ')}; remove the tags or use --force`,
      );
    const untag = tag === undefined ? tags : [tag];
    const removed = (await store.refs.remove(untag)).map((name) => `Untagged: ${familiarTag(name)}`);
    if ((await store.refs.tagsOf(id)).length > 0) return removed;
    await store.images.remove(id);
    return [...removed, `Deleted: ${id}`];
  });
  if (lines.some((line) => line.startsWith('Deleted: '))) await pruneStore(store, { keepImages: true });
  return lines;
}
