/**
 * The two reads of a layer blob: decompress by magic, hash and count the tar bytes, parse entries.
 * Pass 1 only collects whiteouts; pass 2 writes the tree. Each pass reports the diff ID it saw, so a
 * blob that changes between the reads is caught.
 */
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { LAYER_READ_CHUNK, openLayerStream } from '../../../image/layer/decompress.js';
import { detectFileCompression } from '../../../image/layer/decompress-file.js';
import { FileChunks } from '../../../image/layer/file-chunks.js';
import { DigestStream } from '../../../image/layer/digest-stream.js';
import { extractEntries } from './extract.js';
import type { ExtractContext } from './extract-context.js';
import type { LayerLimits } from '../../../image/layer/layer-limits.js';
import { readLayerEntries } from '../../../image/layer/tar-entries.js';
import type { LayerEntry } from '../../../image/layer/tar-entries.js';
import { scanWhiteouts } from './whiteouts.js';
import type { WhiteoutPlan } from './whiteouts.js';

/** Digest, size and entry count of one full read of a layer. */
export interface LayerSummary {
  diffId: string;
  size: number;
  entries: number;
}

/**
 * The layer blob to read: a function that opens it as a stream, or a file. A file that holds a plain
 * tar is read in place through reused buffers (file-chunks.ts); a compressed one is streamed.
 */
export type LayerBlob = (() => Readable | Promise<Readable>) | { file: string };

/**
 * Pass 1: validates every entry and collects the whiteout plan without writing anything. With
 * `knownDiffId` (see {@link layerEntries}) the bytes are not hashed.
 */
export async function scanLayer(
  blob: LayerBlob,
  limits: LayerLimits,
  knownDiffId?: string,
): Promise<{ plan: WhiteoutPlan; layer: LayerSummary }> {
  const { summary, entries } = await layerEntries(blob, limits, knownDiffId);
  const plan = await scanWhiteouts(entries);
  return { plan, layer: { ...summary(), entries: plan.entries } };
}

/** Pass 2: writes every entry into `ctx.root`. */
export async function readLayer(
  blob: LayerBlob,
  limits: LayerLimits,
  ctx: ExtractContext,
  knownDiffId?: string,
): Promise<LayerSummary> {
  const { summary, entries } = await layerEntries(blob, limits, knownDiffId);
  const count = await extractEntries(entries, ctx);
  return { ...summary(), entries: count };
}

/** What one read of a layer gives: its entries, then (once they are exhausted) its digest and size. */
interface LayerEntries {
  entries: AsyncGenerator<LayerEntry>;
  summary: () => { diffId: string; size: number };
}

/**
 * The entries of one read. `knownDiffId` is for a plain-tar blob this process hashed as it stored it:
 * the blob must then be a plain tar, and its bytes are counted and capped but not hashed again.
 */
async function layerEntries(
  blob: LayerBlob,
  limits: LayerLimits,
  knownDiffId: string | undefined,
): Promise<LayerEntries> {
  if (typeof blob !== 'function') {
    const compression = await detectFileCompression(blob.file);
    if (compression === 'none') {
      const digest = knownDiffId === undefined ? 'sha256' : { known: knownDiffId };
      const chunks = new FileChunks(blob.file, { maxBytes: limits.maxBytes, digest });
      const summary = () => ({ diffId: chunks.digest(), size: chunks.bytes });
      return { summary, entries: readLayerEntries(chunks, limits) };
    }
    // A compressed file is streamed; with a known diff ID, openLayerStream refuses it.
  }
  const open =
    typeof blob === 'function'
      ? blob
      : () => createReadStream(blob.file, { highWaterMark: LAYER_READ_CHUNK });
  const tar = openLayerStream(await open(), knownDiffId === undefined ? undefined : 'none');
  const digest = new DigestStream(limits.maxBytes, knownDiffId);
  tar.on('error', (error) => digest.destroy(error));
  // When the reader stops early (an invalid entry), tear the whole chain down to the source.
  digest.once('close', () => tar.destroy());
  tar.pipe(digest);
  const summary = () => ({ diffId: digest.digest(), size: digest.bytes });
  return { summary, entries: readLayerEntries(digest, limits) };
}
