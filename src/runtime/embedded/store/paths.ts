/**
 * The on-disk layout of a store (docs/architecture.md#embedded-store-layout). Every path into the store is made here, and every
 * digest is checked before it becomes part of one.
 *
 * ```
 * blobs/sha256/<hex>                    manifests, configs, layer blobs, content-addressed
 * layers/<chain-hex>/diff/              one unpacked layer (overlay-native diff)
 * layers/<chain-hex>/layer.json         {diffId, chainId, parent, size, blobs}
 * layers/<chain-hex>/link               its short name under l/
 * layers/<chain-hex>.incomplete-<rand>/ a layer being built (owner.json first, then diff/)
 * layers/<chain-hex>-removing-<rand>/   a layer being deleted
 * l/<26 chars> -> ../layers/<chain-hex>/diff
 * images/<config-hex>.json              image records
 * refs.json                             tags → image IDs
 * leases/<id>.json                      content an operation in flight is using
 * ingest/<hex or anon-rand>/            a blob being written (data, owner.json)
 * tmp/<op>-<rand>/                      scratch space on the same filesystem (archive import)
 * locks/                                flock(1) lock files
 * containers/<id>/                      containers; config.json and state.json are read here as GC roots
 * volumes/<name>/volume.json            a named volume's record {name, labels, created}
 * volumes/<name>/_data/                 its contents (0755), bound into containers
 * volumes/.creating-<rand>/             a volume being created (owner.json first), renamed into place
 * volumes/.removing-<rand>/             a volume being deleted
 * tmp/volume-import-<rand>/             a volume import being extracted, swapped in when complete
 * build-cache/<key-hex>                 the image a build step committed (docs/embedded-runtime.md#build-cache)
 * ```
 */
import path from '../../../util/node-path.js';
import { digestHex } from './digest.js';

/** Paths of one store root. */
export interface StorePaths {
  root: string;
  blobsDir: string;
  layersDir: string;
  linksDir: string;
  imagesDir: string;
  leasesDir: string;
  ingestDir: string;
  tmpDir: string;
  locksDir: string;
  containersDir: string;
  volumesDir: string;
  refsFile: string;
  /** The lock taken for every change that adds or drops a reference, and by prune and move. */
  storeLock: string;
  /** `blobs/sha256/<hex>`; throws on a malformed digest. */
  blob(digest: string): string;
  /** `layers/<hex>`; throws on a malformed chain ID. */
  layer(chainId: string): string;
  /** `images/<hex>.json`; throws on a malformed image ID. */
  image(id: string): string;
  /** The striped lock file that serialises ingests of digests sharing their first two hex digits. */
  ingestLock(digest: string): string;
}

/** Written into an old root once `moveStorage` switched to the new one; such a store is not opened. */
export const MOVED_FILE = 'moved.json';

/** The directories a store needs, created on open. */
export const STORE_DIRS = [
  'blobs/sha256',
  'layers',
  'l',
  'images',
  'leases',
  'ingest',
  'tmp',
  'locks',
  'build-cache',
  'volumes',
] as const;

/** Path helpers for the store at `root` (an absolute path). */
export function storePaths(root: string): StorePaths {
  const at = (...parts: string[]) => path.join(root, ...parts);
  return {
    root,
    blobsDir: at('blobs', 'sha256'),
    layersDir: at('layers'),
    linksDir: at('l'),
    imagesDir: at('images'),
    leasesDir: at('leases'),
    ingestDir: at('ingest'),
    tmpDir: at('tmp'),
    locksDir: at('locks'),
    containersDir: at('containers'),
    volumesDir: at('volumes'),
    refsFile: at('refs.json'),
    storeLock: at('locks', 'store.lock'),
    blob: (digest) => at('blobs', 'sha256', digestHex(digest, 'blob')),
    layer: (chainId) => at('layers', digestHex(chainId, 'layer chain ID')),
    image: (id) => at('images', `${digestHex(id, 'image ID')}.json`),
    // 256 stripes keep the number of lock files bounded: lock files are never deleted, because
    // deleting a flock file while someone waits on it lets two processes hold "the" lock.
    ingestLock: (digest) => at('locks', `ingest-${digestHex(digest, 'blob').slice(0, 2)}.lock`),
  };
}
