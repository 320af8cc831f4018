/**
 * zod schemas of the OCI documents that point at content: descriptors, image manifests and indexes
 * (Docker schema 2 manifests and manifest lists parse the same way). Objects are loose because the
 * raw bytes are kept and hashed; unknown fields are simply carried along. A digest that is not
 * canonical sha256 fails here, before anything can use it.
 */
import { z } from 'zod';
import { isSha256Digest } from '../reference.js';

const digest = z.string().refine(isSha256Digest, { error: 'not a sha256:<64 lowercase hex> digest' });

/** `{os, architecture, variant}` of an index entry. */
export const PlatformSchema = z.looseObject({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});

/** A content descriptor: what a manifest or index points at. */
export const DescriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: PlatformSchema.optional(),
});

/** An OCI image manifest or a Docker schema 2 manifest. */
export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** An OCI image index or a Docker manifest list. */
export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A parsed index entry platform. */
export type Platform = z.infer<typeof PlatformSchema>;
/** A parsed descriptor: `digest` is a checked sha256, `size` a safe integer. */
export type Descriptor = z.infer<typeof DescriptorSchema>;
/** A parsed image manifest (OCI or Docker schema 2). */
export type ImageManifest = z.infer<typeof ImageManifestSchema>;
/** A parsed image index or manifest list. */
export type ImageIndex = z.infer<typeof ImageIndexSchema>;
