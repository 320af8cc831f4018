/**
 * The build cache (docs/embedded-runtime.md#build-cache): Docker's classic builder finds a cached step
 * among the children of the current image whose recorded container config equals the step's probe
 * config. Here the same comparison is a key, sha256 over the parent image ID and the probe, and one
 * small file per key names the image the step committed. A key whose image is gone (pruned) is a miss.
 */
import { readFile } from '../../../util/fs-async.js';
import path from '../../../util/node-path.js';
import { writeFileAtomic } from '../../../util/atomic.js';
import type { Store } from '../store/index.js';

const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;

/** The cache entries of one store, in `build-cache/<key hex>`. */
export class StepCache {
  readonly #store: Store;
  readonly #dir: string;

  constructor(store: Store) {
    this.#store = store;
    this.#dir = path.join(store.root, 'build-cache');
  }

  #file(key: string): string {
    const hex = key.replace(/^sha256:/, '');
    if (!/^[a-f0-9]{64}$/.test(hex)) throw new Error(`malformed build cache key ${key}`);
    return path.join(this.#dir, hex);
  }

  /** The image a step with this key committed before, when it is still stored. */
  async lookup(key: string): Promise<string | undefined> {
    const text = await readFile(this.#file(key), 'utf8').catch(() => undefined);
    const id = text?.trim();
    if (id === undefined || !IMAGE_ID.test(id)) return undefined;
    return (await this.#store.images.get(id)) === undefined ? undefined : id;
  }

  /** Records that the step with this key committed `imageId`. */
  async record(key: string, imageId: string): Promise<void> {
    await writeFileAtomic(this.#file(key), `${imageId}\n`);
  }
}
