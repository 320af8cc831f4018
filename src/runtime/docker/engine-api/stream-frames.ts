/**
 * Docker's multiplexed stream, as an exec or attach without a TTY sends it: each frame is an 8-byte
 * header (stream type: 0 stdin, 1 stdout, 2 stderr, 3 the engine's own error; three zero bytes; the
 * payload's length as a big-endian uint32) followed by the payload. Frames arrive split and joined
 * across socket chunks in any way; the decoder keeps what it has not seen the end of.
 */

/** Where a frame's payload goes. */
export type StreamKind = 'stdout' | 'stderr';

/** One decoded frame. */
export interface StreamFrame {
  kind: StreamKind;
  payload: Buffer;
}

const HEADER_BYTES = 8;

/** Streams 0 (stdin echoed back) and 1 are output; 2 and the engine's errors (3) go to stderr. */
function kindOf(type: number): StreamKind | undefined {
  if (type === 0 || type === 1) return 'stdout';
  if (type === 2 || type === 3) return 'stderr';
  return undefined;
}

export class StreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /**
   * Takes the next chunk and returns the frames it completes. A header of an unknown stream type
   * means the bytes are not this protocol; that is thrown, since nothing after it can be trusted.
   */
  push(chunk: Buffer): StreamFrame[] {
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: StreamFrame[] = [];
    while (data.length >= HEADER_BYTES) {
      const type = data[0] ?? -1;
      const kind = kindOf(type);
      if (kind === undefined || data[1] !== 0 || data[2] !== 0 || data[3] !== 0)
        throw new Error(`the engine sent a frame of unknown stream type ${type}`);
      const size = data.readUInt32BE(4);
      if (data.length < HEADER_BYTES + size) break;
      frames.push({ kind, payload: data.subarray(HEADER_BYTES, HEADER_BYTES + size) });
      data = data.subarray(HEADER_BYTES + size);
    }
    this.pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return frames;
  }

  /** Bytes of a frame that never finished (the stream ended in the middle of it). */
  get leftover(): number {
    return this.pending.length;
  }
}

/** One frame, as the engine would send it (for tests and fakes). */
export function encodeStreamFrame(type: 0 | 1 | 2 | 3, payload: Buffer | string): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
