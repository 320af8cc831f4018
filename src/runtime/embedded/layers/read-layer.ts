/**
 * The two reads of a layer blob: decompress by magic, hash and count the tar bytes, parse entries.
 * Pass 1 only collects whiteouts; pass 2 writes the tree. Each pass reports the diff ID it saw, so a
 * blob that changes between the reads is caught.
 */
import type { Readable } from 'node:stream';
import { openLayerStream } from '../../../image/layer/decompress.js';
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
 * Pass 1: validates every entry and collects the whiteout plan without writing anything. With
 * `knownDiffId` (see {@link layerEntries}) the bytes are not hashed.
 */
export async function scanLayer(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
  knownDiffId?: string,
): Promise<{ plan: WhiteoutPlan; layer: LayerSummary }> {
  const { digest, entries } = await layerEntries(open, limits, knownDiffId);
  const plan = await scanWhiteouts(entries);
  return { plan, layer: { diffId: digest.digest(), size: digest.bytes, entries: plan.entries } };
}

/** Pass 2: writes every entry into `ctx.root`. */
export async function readLayer(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
  ctx: ExtractContext,
  knownDiffId?: string,
): Promise<LayerSummary> {
  const { digest, entries } = await layerEntries(open, limits, knownDiffId);
  const count = await extractEntries(entries, ctx);
  return { diffId: digest.digest(), size: digest.bytes, entries: count };
}

/**
 * The entries of one read. `knownDiffId` is for a plain-tar blob this process hashed as it stored it:
 * the blob must then be a plain tar, and its bytes are counted and capped but not hashed again.
 */
async function layerEntries(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
  knownDiffId: string | undefined,
): Promise<{ digest: DigestStream; entries: AsyncGenerator<LayerEntry> }> {
  const tar = openLayerStream(await open(), knownDiffId === undefined ? undefined : 'none');
  const digest = new DigestStream(limits.maxBytes, knownDiffId);
  tar.on('error', (error) => digest.destroy(error));
  // When the reader stops early (an invalid entry), tear the whole chain down to the source.
  digest.once('close', () => tar.destroy());
  tar.pipe(digest);
  return { digest, entries: readLayerEntries(digest, limits) };
}
