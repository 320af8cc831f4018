/**
 * Tags: `refs.json` maps fully qualified references (`docker.io/library/alpine:3.20`) to image IDs.
 * Readers never lock (the file is replaced atomically); writers read, change and write it under the
 * store lock, so two processes tagging at once both keep their tags (research/reliability.md K1).
 */
import { DevenvError } from '../../../errors.js';
import { declareFailpoints, failpoint } from '../../../util/failpoint.js';
import {
  familiarReference,
  formatReference,
  isSha256Digest,
  parseReference,
} from '../../../util/reference.js';
import type { StoreContext } from './store-context.js';
import type { ImageStore } from './images.js';
import { corruptFileError, readJsonFile, writeJsonFile } from './json-file.js';
import { RefsFileSchema } from './schemas.js';

declareFailpoints('store.tag.write');

/**
 * The stored form of a tag reference: fully qualified with the tag defaulted to `latest`. Digest
 * references (`name@sha256:…`) are refused: a tag names a moving target, a digest does not.
 */
export function normalizeTag(input: string): string {
  const parsed = parseReference(input);
  if (typeof parsed === 'string')
    throw new DevenvError('DEVENV_USAGE', `invalid image reference ${JSON.stringify(input)}: ${parsed}`);
  if (parsed.digest !== undefined)
    throw new DevenvError('DEVENV_USAGE', `${input} names a digest; a tag needs name[:tag]`);
  return formatReference(parsed);
}

/** The short form Docker prints (`busybox:latest`) of a stored reference. */
export function familiarTag(stored: string): string {
  const parsed = parseReference(stored);
  return typeof parsed === 'string' ? stored : familiarReference(parsed);
}

/** Tag operations of one store. */
export class RefStore {
  readonly #ctx: StoreContext;
  readonly #images: ImageStore;

  constructor(ctx: StoreContext, images: ImageStore) {
    this.#ctx = ctx;
    this.#images = images;
  }

  /** Every tag → image ID (empty when refs.json does not exist yet; a corrupt file throws). */
  async all(): Promise<Record<string, string>> {
    const read = await readJsonFile(this.#ctx.paths.refsFile, RefsFileSchema);
    if (read.state === 'missing') return {};
    if (read.state === 'corrupt') throw corruptFileError(this.#ctx.paths.refsFile, read.reason);
    return read.value.refs;
  }

  /** The image ID a tag or an ID (`sha256:…`, or a unique hex prefix of 12 or more) stands for. */
  async resolve(refOrId: string): Promise<string | undefined> {
    if (isSha256Digest(refOrId)) return (await this.#images.get(refOrId)) === undefined ? undefined : refOrId;
    const hex = refOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{12,63}$/.test(hex)) {
      const matches = (await this.#images.list()).filter((id) => id.startsWith(`sha256:${hex}`));
      if (matches.length === 1) return matches[0];
    }
    return (await this.all())[normalizeTag(refOrId)];
  }

  /** Familiar tags pointing at `id`, sorted. */
  async tagsOf(id: string): Promise<string[]> {
    return Object.entries(await this.all())
      .filter(([, target]) => target === id)
      .map(([name]) => familiarTag(name))
      .sort();
  }

  /**
   * Points each tag at its image in one atomic write. Every image must be stored; a tag that pointed
   * elsewhere moves. Returns the stored (fully qualified) names.
   */
  async set(tags: readonly { name: string; id: string }[]): Promise<string[]> {
    const normalized = tags.map((tag) => ({ name: normalizeTag(tag.name), id: tag.id }));
    return this.#ctx.withStoreLock('tagging', async () => {
      for (const { id } of normalized) {
        if ((await this.#images.get(id)) === undefined)
          throw new DevenvError('DEVENV_NOT_FOUND', `image ${id} is not in the store`);
      }
      const refs = { ...(await this.all()) };
      for (const { name, id } of normalized) refs[name] = id;
      await failpoint('store.tag.write');
      await writeJsonFile(this.#ctx.paths.refsFile, { version: 1, refs: sortKeys(refs) }, 0o644);
      return normalized.map((tag) => tag.name);
    });
  }

  /** Removes tags; returns the ones that existed. */
  async remove(names: readonly string[]): Promise<string[]> {
    const normalized = names.map(normalizeTag);
    return this.#ctx.withStoreLock('untagging', async () => {
      const refs = { ...(await this.all()) };
      const removed = normalized.filter((name) => name in refs);
      if (removed.length === 0) return [];
      for (const name of removed) Reflect.deleteProperty(refs, name);
      await failpoint('store.tag.write');
      await writeJsonFile(this.#ctx.paths.refsFile, { version: 1, refs: sortKeys(refs) }, 0o644);
      return removed;
    });
  }
}

function sortKeys(refs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
