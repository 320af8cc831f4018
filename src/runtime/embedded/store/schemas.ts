/**
 * The shape of every state file the store writes, as typed checks (util/shape.ts): a no-op `up` and
 * `inspect` read these records, and zod would cost more to load than the reads. Reads check against
 * them; a file that fails is "corrupt" and `repair` quarantines it (docs/reliability.md, C6). The
 * store writes these files itself, so a key they do not name also makes a file corrupt.
 */
import { digest } from '../../../image/oci/digest-check.js';
import {
  array,
  exactObject,
  integer,
  literal,
  matching,
  number,
  optional,
  record,
  refine,
  string,
} from '../../../util/shape.js';
import type { Checked } from '../../../util/shape.js';
import { owner } from './owner.js';

const size = refine(integer, (n) => n >= 0, 'a size in bytes (an integer, 0 or more)');

/** A content descriptor: what a blob is (media type), its sha256 and its length in bytes. */
const descriptorShape = {
  mediaType: refine(string, (s) => s.length > 0, 'a media type'),
  digest,
  size,
};
export const DescriptorSchema = exactObject(descriptorShape);
export type Descriptor = Checked<typeof DescriptorSchema>;

/**
 * `layers/<chain-hex>/layer.json`: the sha256 of the uncompressed layer tar (diffId), its chain ID
 * (docs/image-formats.md#ids), the chain ID of the layer below (null for a base layer), the length of
 * the uncompressed tar, and the stored blobs whose uncompressed content is this diff.
 */
export const LayerRecordSchema = exactObject({
  diffId: digest,
  chainId: digest,
  parent: (value: unknown, path: string): string | null => (value === null ? null : digest(value, path)),
  size,
  blobs: array(DescriptorSchema),
});
export type LayerRecord = Checked<typeof LayerRecordSchema>;

/** One layer of an image: the blob it came from and the diff ID it unpacks to. */
export const ImageLayerSchema = exactObject({ ...descriptorShape, diffId: digest });
export type ImageLayer = Checked<typeof ImageLayerSchema>;

/**
 * `images/<config-hex>.json`: the image ID (sha256 of the config blob), its layers bottom first as
 * the config lists their diff IDs, the manifests (stored as blobs) that describe it, the
 * `repo@sha256:…` references it was pulled from or pushed to, the config's "created" time and when
 * it entered this store (ISO 8601). Tags live in refs.json only, so the two can never disagree.
 */
export const ImageRecordSchema = exactObject({
  id: digest,
  layers: array(ImageLayerSchema),
  manifestDigests: array(digest),
  repoDigests: array(string),
  created: optional(string),
  addedAt: string,
});
export type ImageRecord = Checked<typeof ImageRecordSchema>;

/** `refs.json`: fully qualified references (`docker.io/library/alpine:3.20`) → image ID. */
export const RefsFileSchema = exactObject({ version: literal(1), refs: record(digest) });

/**
 * `leases/<id>.json`: content an operation in flight uses; a GC root until `expiresAt` (milliseconds
 * since the epoch). `layers` are chain IDs.
 */
export const LeaseSchema = exactObject({
  id: matching(/^[a-z0-9-]{1,64}$/, 'a lease ID (1 to 64 of a-z, 0-9 and -)'),
  owner,
  expiresAt: number,
  blobs: array(digest),
  layers: array(digest),
  images: array(digest),
});
export type Lease = Checked<typeof LeaseSchema>;

/** `store.json`: the on-disk format version. */
export const StoreVersionSchema = exactObject({ version: integer });

/** The move marker in a staging copy: which store it copies. */
export const MoveMarkerSchema = exactObject({ from: string });

/** `moved.json` in an old root: where the store went. */
export const MovedSchema = exactObject({ to: string });
