/**
 * zstd decompression as a Node stream. Node 22.15+ has it in zlib; Node 20 does not, so there we use
 * fzstd, a small pure-JS decoder (roughly 100 MB/s here, against 1 GB/s for the zstd CLI).
 */
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { DevenvError } from '../../errors.js';
import { ZstdFrameGuard } from './zstd-frames.js';

/**
 * Input is fed to fzstd in slices this small because it decodes a whole push synchronously: one 64 KiB
 * chunk of RLE blocks could expand to gigabytes before any byte cap downstream sees them. A 1 KiB slice
 * expands to at most 32 MiB.
 */
const SLICE = 1024;

/**
 * A decompressing Duplex for a zstd stream of one or more frames, with backpressure. Frames with a
 * window over 128 MiB are refused with `DEVENV_LIMIT`, as the zstd CLI refuses them by default.
 */
export function createZstdDecompress(): Duplex {
  const native = (zlib as unknown as { createZstdDecompress?: () => Duplex }).createZstdDecompress;
  return native !== undefined ? native() : Duplex.from(fzstdGenerator);
}

async function* fzstdGenerator(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const guard = new ZstdFrameGuard();
  // fzstd reuses its window buffer, so each chunk is copied before it is queued.
  const decoder = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data));
  });
  try {
    for await (const chunk of source) {
      for (let offset = 0; offset < chunk.length; offset += SLICE) {
        const slice = chunk.subarray(offset, offset + SLICE);
        guard.push(slice);
        decoder.push(slice);
        yield* out.splice(0);
      }
    }
    decoder.push(new Uint8Array(0), true);
  } catch (error) {
    throw asError(error);
  }
  yield* out.splice(0);
}

function asError(error: unknown): Error {
  if (error instanceof DevenvError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(`zstd: ${message}`), { code: 'ZSTD_INVALID' });
}
