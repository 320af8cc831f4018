/**
 * `docker import` on the store: a root filesystem tarball becomes a one-layer image whose layer blob
 * is the tarball itself (uncompressed, so its digest is also its diff ID, as Docker computes it), its
 * unpacking done by the store's own layer creation, and its config the one Docker writes. The tag
 * moves last, so a failure leaves the previous image under it.
 */
import { createReadStream } from 'node:fs';
import { importConfig } from '../../../image/oci/import-config.js';
import { OCI_LAYER_TAR } from '../../../image/oci/media-types.js';
import { ociArchitecture } from '../../../image/oci/platform.js';
import { hashFile } from '../../../util/hash-file.js';
import type { EventSink } from '../../events.js';
import { ensureFreeSpace } from '../store/space.js';
import type { Store } from '../store/store.js';

/** Options of {@link importRootfs}. */
export interface ImportRootfsOptions {
  /** The tag to point at the new image. */
  tag: string;
  /** Labels for the config (`docker import --change LABEL …`). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Node or OCI architecture recorded in the config. */
  arch: string;
  /** Move the file into the store instead of copying it (a scratch file under the store's tmp/). */
  consume?: boolean | undefined;
  onEvent?: EventSink | undefined;
  now?: (() => Date) | undefined;
}

/** Imports the root filesystem tar `file` as a one-layer image tagged `options.tag`; returns its ID. */
export async function importRootfs(
  store: Store,
  file: string,
  options: ImportRootfsOptions,
): Promise<string> {
  const onEvent = options.onEvent ?? (() => undefined);
  const { digest, size } = await hashFile(file);
  await ensureFreeSpace(store.paths.layersDir, size, `to unpack ${file}`);
  const lease = await store.createLease(`importing ${file}`);
  try {
    if (!(await store.blobs.retain(digest, lease))) {
      if (options.consume === true) await store.blobs.adopt(file, { digest, size }, lease);
      else await store.blobs.ingest({ digest, size }, () => createReadStream(file), { lease });
    }
    onEvent({ type: 'transfer:progress', id: digest, phase: 'extract', current: 0, total: size });
    const blob = { digest, mediaType: OCI_LAYER_TAR, size };
    await store.layers.create({ parent: undefined, blob, expectedDiffId: digest, lease });
    onEvent({ type: 'transfer:done', id: digest, phase: 'extract' });
    const config = importConfig({
      diffId: digest,
      architecture: ociArchitecture(options.arch),
      created: options.now?.() ?? new Date(store.ctx.now()),
      labels: options.labels,
    });
    const record = await store.images.put({ config, layers: [blob], lease });
    await store.refs.set([{ name: options.tag, id: record.id }]);
    return record.id;
  } finally {
    await lease.release();
  }
}
