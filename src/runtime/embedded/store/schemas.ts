/**
 * zod schemas of every state file the store writes. Reads validate against them; a file that fails is
 * "corrupt" and `repair` quarantines it (docs/reliability.md, C6).
 */
import { z } from 'zod';
import { DigestSchema } from '../../../image/oci/digest-schema.js';
import { OwnerSchema } from './owner.js';

/** A content descriptor: what a blob is, its digest and its size in bytes. */
export const DescriptorSchema = z.strictObject({
  mediaType: z.string().min(1).describe('Media type of the blob.'),
  digest: DigestSchema.describe('sha256 of the blob bytes.'),
  size: z.number().int().nonnegative().describe('Length of the blob in bytes.'),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** `layers/<chain-hex>/layer.json`. */
export const LayerRecordSchema = z.strictObject({
  diffId: DigestSchema.describe('sha256 of the uncompressed layer tar.'),
  chainId: DigestSchema.describe('Chain ID of this layer on top of its parents (docs/image-formats.md#ids).'),
  parent: DigestSchema.nullable().describe('Chain ID of the layer below, null for a base layer.'),
  size: z.number().int().nonnegative().describe('Length of the uncompressed layer tar in bytes.'),
  blobs: z.array(DescriptorSchema).describe('Stored blobs whose uncompressed content is this diff.'),
});
export type LayerRecord = z.infer<typeof LayerRecordSchema>;

/** One layer of an image: the blob it came from and the diff ID it unpacks to. */
export const ImageLayerSchema = DescriptorSchema.extend({
  diffId: DigestSchema.describe('sha256 of the uncompressed layer tar.'),
});
export type ImageLayer = z.infer<typeof ImageLayerSchema>;

/** `images/<config-hex>.json`. Tags live in refs.json only, so the two can never disagree. */
export const ImageRecordSchema = z.strictObject({
  id: DigestSchema.describe('sha256 of the config bytes (the blob of the same name).'),
  layers: z.array(ImageLayerSchema).describe('Layers bottom first, as the config lists their diff IDs.'),
  manifestDigests: z.array(DigestSchema).describe('Manifests (stored as blobs) that describe this image.'),
  repoDigests: z.array(z.string()).describe('`repo@sha256:…` references it was pulled from or pushed to.'),
  created: z.string().optional().describe('The config\'s "created" time.'),
  addedAt: z.string().describe('When the image entered this store (ISO 8601).'),
});
export type ImageRecord = z.infer<typeof ImageRecordSchema>;

/** `refs.json`: fully qualified references (`docker.io/library/alpine:3.20`) → image ID. */
export const RefsFileSchema = z.strictObject({
  version: z.literal(1),
  refs: z.record(z.string(), DigestSchema),
});

/** `leases/<id>.json`: content an operation in flight uses; a GC root until it expires. */
export const LeaseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  owner: OwnerSchema,
  expiresAt: z.number().describe('Milliseconds since the epoch after which the lease protects nothing.'),
  blobs: z.array(DigestSchema),
  layers: z.array(DigestSchema).describe('Chain IDs.'),
  images: z.array(DigestSchema),
});
export type Lease = z.infer<typeof LeaseSchema>;

/** `store.json`: the on-disk format version. */
export const StoreVersionSchema = z.strictObject({ version: z.number().int() });

/** The move marker in a staging copy: which store it copies. */
export const MoveMarkerSchema = z.strictObject({ from: z.string() });

/** `moved.json` in an old root: where the store went. */
export const MovedSchema = z.strictObject({ to: z.string() });
