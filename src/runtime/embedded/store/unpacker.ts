/**
 * The seam to the layer applier (src/runtime/embedded/layers/, built separately): the store owns the
 * directories and the bookkeeping, the applier owns reading a layer tar safely into a diff directory.
 */

/** What the store hands the applier for one layer. */
export interface UnpackInput {
  /** The stored layer blob (compressed or not; the applier detects the compression by magic). */
  blobPath: string;
  /** An empty directory the store created for this layer; the applier fills it with the diff. */
  diffDir: string;
  /** Diff directories of the layers below, the immediate parent first (overlay lowerdir order). */
  parentDiffDirs: string[];
  /** The blob is a plain tar that this process hashed to this digest as it stored it: no second hash. */
  knownDiffId?: string | undefined;
}

/** What the applier reports. */
export interface UnpackResult {
  /** `sha256:<hex>` of the uncompressed tar stream it read. */
  diffId: string;
  /** Length of the uncompressed tar stream in bytes. */
  size: number;
}

/**
 * Unpacks one layer blob into `diffDir`; must not write anywhere else. `warm`, when given, does now
 * what the first unpack would otherwise wait for (loading the applier, choosing the layer mode), so
 * a pull can have it done while its layers download.
 */
export type Unpacker = ((input: UnpackInput) => Promise<UnpackResult>) & {
  warm?: (() => Promise<void>) | undefined;
};
