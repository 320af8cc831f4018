/**
 * One read of an input layer for the squash: decompressed by magic, hashed and capped like every
 * layer the embedded applier reads, parsed by the same entry reader (same name rules, same refusals),
 * with the raw header scanner alongside for xattr bytes and device numbers.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { openLayerStream } from '../layer/decompress.js';
import { DigestStream } from '../layer/digest-stream.js';
import type { LayerLimits } from '../layer/layer-limits.js';
import { readLayerEntries } from '../layer/tar-entries.js';
import type { LayerEntry } from '../layer/tar-entries.js';
import { HeaderScanner } from '../layer/header-scanner.js';

/** A layer to squash: a file path (gzip, zstd or plain tar), or a function that opens its bytes. */
export type LayerInput = string | (() => Readable | Promise<Readable>);

/** A layer being read. `digest` and `scanner.extras` are complete once `entries` is exhausted. */
export interface LayerRead {
  entries: AsyncGenerator<LayerEntry>;
  digest: DigestStream;
  scanner: HeaderScanner;
}

/** Opens `input` and starts reading it; stopping early tears the whole chain down to the source. */
export async function readLayer(input: LayerInput, limits: LayerLimits): Promise<LayerRead> {
  const source = typeof input === 'string' ? createReadStream(input) : await input();
  const tar = openLayerStream(source);
  const digest = new DigestStream(limits.maxBytes);
  const scanner = new HeaderScanner();
  tar.on('error', (error) => digest.destroy(error));
  digest.on('error', (error) => scanner.destroy(error));
  digest.once('close', () => tar.destroy());
  scanner.once('close', () => digest.destroy());
  tar.pipe(digest).pipe(scanner);
  return { entries: readLayerEntries(scanner, limits), digest, scanner };
}
