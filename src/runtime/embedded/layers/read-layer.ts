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

/** Pass 1: validates every entry and collects the whiteout plan without writing anything. */
export async function scanLayer(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
): Promise<{ plan: WhiteoutPlan; layer: LayerSummary }> {
  const { digest, entries } = await layerEntries(open, limits);
  const plan = await scanWhiteouts(entries);
  return { plan, layer: { diffId: digest.digest(), size: digest.bytes, entries: plan.entries } };
}

/** Pass 2: writes every entry into `ctx.root`. */
export async function readLayer(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
  ctx: ExtractContext,
): Promise<LayerSummary> {
  const { digest, entries } = await layerEntries(open, limits);
  const count = await extractEntries(entries, ctx);
  return { diffId: digest.digest(), size: digest.bytes, entries: count };
}

async function layerEntries(
  open: () => Readable | Promise<Readable>,
  limits: LayerLimits,
): Promise<{ digest: DigestStream; entries: AsyncGenerator<LayerEntry> }> {
  const tar = openLayerStream(await open());
  const digest = new DigestStream(limits.maxBytes);
  tar.on('error', (error) => digest.destroy(error));
  // When the reader stops early (an invalid entry), tear the whole chain down to the source.
  digest.once('close', () => tar.destroy());
  tar.pipe(digest);
  return { digest, entries: readLayerEntries(digest, limits) };
}
