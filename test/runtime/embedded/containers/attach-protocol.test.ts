import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameType,
  MAX_FRAME_PAYLOAD,
  ProtocolError,
  decodeExit,
  decodeHello,
  decodeResize,
  encodeData,
  encodeExit,
  encodeFrame,
  encodeHello,
  encodeResize,
} from '../../../../src/runtime/embedded/containers/attach-protocol.js';

const stream = Buffer.concat([
  encodeHello({ version: 1, mode: 'attach' }),
  encodeResize(40, 120),
  encodeFrame(FrameType.data, Buffer.from('echo hi\r')),
  encodeFrame(FrameType.detach),
  encodeExit(-3),
]);

function summary(frames: { type: number; payload: Buffer }[]): string[] {
  return frames.map((f) => `${f.type}:${f.payload.toString('hex')}`);
}

describe('attach frames', () => {
  const whole = summary(new FrameDecoder().push(stream));

  it('decodes frames joined in one chunk', () => {
    expect(whole).toHaveLength(5);
    const frames = new FrameDecoder().push(stream);
    expect(decodeHello(frames[0]?.payload ?? Buffer.alloc(0))).toEqual({ version: 1, mode: 'attach' });
    expect(decodeResize(frames[1]?.payload ?? Buffer.alloc(0))).toEqual({ rows: 40, cols: 120 });
    expect(frames[2]?.payload.toString()).toBe('echo hi\r');
    expect(frames[3]).toEqual({ type: FrameType.detach, payload: Buffer.alloc(0) });
    expect(decodeExit(frames[4]?.payload ?? Buffer.alloc(0))).toBe(-3);
  });

  it('decodes the same frames however the stream is cut in two', () => {
    for (let cut = 0; cut <= stream.length; cut += 1) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(summary(frames), `cut at ${cut}`).toEqual(whole);
      expect(decoder.buffered).toBe(0);
    }
  });

  it('decodes the same frames fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const frames = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(summary(frames)).toEqual(whole);
  });

  it('rejects a header announcing more than 1 MiB, before the payload arrives', () => {
    const header = Buffer.alloc(5);
    header.writeUInt8(FrameType.data, 0);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 1);
    const decoder = new FrameDecoder();
    expect(() => decoder.push(header)).toThrow(ProtocolError);
    expect(() => new FrameDecoder().push(header)).toThrow(/exceeds the limit of 1048576/);
  });

  it('accepts a frame of exactly 1 MiB', () => {
    const frame = encodeFrame(FrameType.data, Buffer.alloc(MAX_FRAME_PAYLOAD, 7));
    const frames = new FrameDecoder().push(frame);
    expect(frames[0]?.payload.length).toBe(MAX_FRAME_PAYLOAD);
  });

  it('splits output larger than a frame into several data frames', () => {
    const frames = encodeData(Buffer.alloc(MAX_FRAME_PAYLOAD * 2 + 3, 1));
    expect(frames.map((f) => f.length - 5)).toEqual([MAX_FRAME_PAYLOAD, MAX_FRAME_PAYLOAD, 3]);
    expect(encodeData(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses malformed resize, exit and hello payloads', () => {
    expect(decodeResize(Buffer.alloc(3))).toBeUndefined();
    expect(decodeExit(Buffer.alloc(5))).toBeUndefined();
    expect(decodeHello(Buffer.from('not json'))).toBeUndefined();
    expect(decodeHello(Buffer.from('[1]'))).toBeUndefined();
    expect(decodeHello(Buffer.from('{"mode":"attach"}'))).toBeUndefined();
  });

  it('clamps a size to what 16 bits hold', () => {
    const frame = new FrameDecoder().push(encodeResize(70000, -4))[0];
    expect(decodeResize(frame?.payload ?? Buffer.alloc(0))).toEqual({ rows: 0xffff, cols: 0 });
  });
});
