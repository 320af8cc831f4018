/**
 * The wire format between `devenv attach` and a container's monitor on the attach socket
 * (docs/embedded-runtime.md#attach-and-logs): frames of `[u8 type][u32 BE length][payload]`. The
 * client opens with `hello`; after the server's `hello` it sends input, sizes and `detach`, and
 * receives output and, at the end, the main process's `exit` status.
 */

/** The frame types; their numbers are the protocol, never renumber them. */
export const FrameType = {
  /** Client→server: input for the pty. Server→client: output of the session. */
  data: 0,
  /** Client→server: the terminal's size, `{u16 rows, u16 cols}`. */
  resize: 1,
  /** Client→server: the client leaves; the session keeps running. */
  detach: 2,
  /** Server→client: the main process ended, `{i32 status}`. */
  exit: 3,
  /** Both ways, first frame: JSON `{version, mode}` from the client, `{version}` back. */
  hello: 4,
  /** Server→client: UTF-8 text saying why the server closes this connection. */
  error: 5,
} as const;

export type FrameTypeNumber = (typeof FrameType)[keyof typeof FrameType];

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 1;

/** The largest payload either side accepts; more is a broken or hostile peer. */
export const MAX_FRAME_PAYLOAD = 1024 * 1024;

const HEADER_BYTES = 5;

export interface Frame {
  type: number;
  payload: Buffer;
}

/** One frame on the wire. */
export function encodeFrame(type: FrameTypeNumber, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`attach frame of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** `data` frames for `chunk`, split so that none passes the payload limit. */
export function encodeData(chunk: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let start = 0; start < chunk.length; start += MAX_FRAME_PAYLOAD) {
    frames.push(encodeFrame(FrameType.data, chunk.subarray(start, start + MAX_FRAME_PAYLOAD)));
  }
  return frames;
}

/** A `resize` frame; sizes are clamped to what a u16 holds. */
export function encodeResize(rows: number, cols: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(clampU16(rows), 0);
  payload.writeUInt16BE(clampU16(cols), 2);
  return encodeFrame(FrameType.resize, payload);
}

function clampU16(value: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(value)));
}

/** An `exit` frame carrying the main process's status. */
export function encodeExit(status: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeInt32BE(status, 0);
  return encodeFrame(FrameType.exit, payload);
}

/** A `hello` frame with a JSON body. */
export function encodeHello(body: { version: number; mode?: 'attach' }): Buffer {
  return encodeFrame(FrameType.hello, Buffer.from(JSON.stringify(body), 'utf8'));
}

/** An `error` frame with a message for the person at the other end. */
export function encodeError(message: string): Buffer {
  return encodeFrame(FrameType.error, Buffer.from(message, 'utf8'));
}

/** The size in a `resize` payload, or `undefined` when the payload is not four bytes. */
export function decodeResize(payload: Buffer): { rows: number; cols: number } | undefined {
  if (payload.length !== 4) return undefined;
  return { rows: payload.readUInt16BE(0), cols: payload.readUInt16BE(2) };
}

/** The status in an `exit` payload, or `undefined` when the payload is not four bytes. */
export function decodeExit(payload: Buffer): number | undefined {
  return payload.length === 4 ? payload.readInt32BE(0) : undefined;
}

/** The body of a `hello` payload, or `undefined` when it is not a JSON object with a version. */
export function decodeHello(payload: Buffer): { version: unknown; mode?: unknown } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || !('version' in body)) return undefined;
  return body;
}

/** A peer sent something that is not this protocol; the connection cannot go on. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Turns a byte stream into frames, however the stream splits or joins them. A header announcing a
 * payload over {@link MAX_FRAME_PAYLOAD} throws {@link ProtocolError} before any of it is buffered,
 * so a peer cannot make the other side hold an unbounded frame.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Adds `chunk` and returns every frame now complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    let buffer = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    while (buffer.length >= HEADER_BYTES) {
      const length = buffer.readUInt32BE(1);
      if (length > MAX_FRAME_PAYLOAD) {
        throw new ProtocolError(`frame of ${length} bytes exceeds the limit of ${MAX_FRAME_PAYLOAD}`);
      }
      if (buffer.length < HEADER_BYTES + length) break;
      frames.push({
        type: buffer.readUInt8(0),
        // A copy, so a frame kept by the caller does not pin the whole chunk it arrived in.
        payload: Buffer.from(buffer.subarray(HEADER_BYTES, HEADER_BYTES + length)),
      });
      buffer = buffer.subarray(HEADER_BYTES + length);
    }
    this.pending = buffer.length === 0 ? [] : [buffer];
    this.pendingBytes = buffer.length;
    return frames;
  }

  /** Bytes of a frame not yet complete; non-zero at the end of the stream means a cut frame. */
  get buffered(): number {
    return this.pendingBytes;
  }
}
