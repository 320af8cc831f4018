/**
 * Walks the frame and block headers of a zstd stream (RFC 8878 section 3.1) without decoding, to
 * refuse frames whose window is larger than the decoder should ever allocate. fzstd allocates the
 * declared window (up to 2 GiB) and moves all of it for every block, so a hostile header would cost
 * gigabytes and hours; zstd itself refuses windows over 128 MiB unless told otherwise.
 */
import { limitError } from './layer-limits.js';

/** zstd's ZSTD_WINDOWLOG_LIMIT_DEFAULT: 2^27 bytes. */
export const MAX_ZSTD_WINDOW = 2 ** 27;

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

/** Bytes of the dictionary ID field by the descriptor's low two bits, and of the content size field by its top two. */
const DICT_ID_BYTES = [0, 1, 2, 4] as const;
const CONTENT_SIZE_BYTES = [0, 2, 4, 8] as const;
const dictIdBytes = (fhd: number) => DICT_ID_BYTES[fhd & 3] ?? 0;

type State = 'magic' | 'skippable-size' | 'descriptor' | 'header' | 'block';

/** Feed it the compressed bytes in order; `push` throws at the first frame it refuses. */
export class ZstdFrameGuard {
  private state: State = 'magic';
  private need = 4;
  private buf: number[] = [];
  private skip = 0;
  private checksum = false;

  constructor(private readonly maxWindow = MAX_ZSTD_WINDOW) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.buf.push(chunk[i++] as number);
      if (this.buf.length === this.need) this.step();
    }
  }

  private next(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.buf = [];
  }

  private step(): void {
    const b = this.buf;
    const le = (from: number, size: number) =>
      b.slice(from, from + size).reduce((sum, byte, k) => sum + byte * 2 ** (8 * k), 0);
    if (this.state === 'magic') {
      const magic = le(0, 4);
      if (magic === FRAME_MAGIC) this.next('descriptor', 1);
      else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) this.next('skippable-size', 4);
      else throw Object.assign(new Error('zstd: bad frame magic'), { code: 'ZSTD_INVALID' });
    } else if (this.state === 'skippable-size') {
      this.skip = le(0, 4);
      this.next('magic', 4);
    } else if (this.state === 'descriptor') {
      const fhd = b[0] as number;
      const single = (fhd >> 5) & 1;
      const fcsFlag = fhd >> 6;
      const fcsSize = fcsFlag === 0 ? single : (CONTENT_SIZE_BYTES[fcsFlag] ?? 0);
      this.checksum = ((fhd >> 2) & 1) === 1;
      this.need = 1 + (single ? 0 : 1) + dictIdBytes(fhd) + fcsSize;
      this.state = 'header';
    } else if (this.state === 'header') {
      const fhd = b[0] as number;
      let window: number;
      if ((fhd >> 5) & 1) {
        const fcsSize = b.length - 1 - dictIdBytes(fhd);
        window = le(b.length - fcsSize, fcsSize) + (fcsSize === 2 ? 256 : 0);
      } else {
        const descriptor = b[1] as number;
        const base = 2 ** (10 + (descriptor >> 3));
        window = base + (base / 8) * (descriptor & 7);
      }
      if (window > this.maxWindow) throw limitError(`zstd window of ${window} bytes`, this.maxWindow);
      this.next('block', 3);
    } else {
      const header = le(0, 3);
      const type = (header >> 1) & 3;
      if (type === 3) throw Object.assign(new Error('zstd: reserved block type'), { code: 'ZSTD_INVALID' });
      this.skip = type === 1 ? 1 : header >> 3;
      if ((header & 1) === 1) {
        this.skip += this.checksum ? 4 : 0;
        this.next('magic', 4);
      } else this.next('block', 3);
    }
  }
}
