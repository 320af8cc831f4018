/**
 * A fast 64-bit non-cryptographic hash in plain JavaScript (cyrb53's two multiply-xor lanes, both
 * kept whole): the checksum of the small files devenv writes for itself (the plan cache) and the key
 * of a path, where a cryptographic hash buys nothing (whoever can write the file can recompute
 * either) and loading `node:crypto` costs ~4 ms of every warm start
 * (docs/hot-paths.md#the-launcher). Never for content that crosses a trust boundary: image,
 * layer and bundle digests stay SHA-256.
 *
 * One step per UTF-16 code unit (or byte) with two `Math.imul`s: a few kilobytes take a fraction
 * of a millisecond even while the start is lean (V8's optimizer off).
 */

/** The hash of `data` (a string's UTF-16 code units, or bytes), as 16 hex digits. */
export function quickHash(data: string | Uint8Array): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) {
      const unit = data.charCodeAt(i);
      h1 = Math.imul(h1 ^ unit, 2654435761);
      h2 = Math.imul(h2 ^ unit, 1597334677);
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      const byte = data[i] as number;
      h1 = Math.imul(h1 ^ byte, 2654435761);
      h2 = Math.imul(h2 ^ byte, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}
