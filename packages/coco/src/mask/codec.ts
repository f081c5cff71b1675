/**
 * pycocotools' compressed `counts` string: each count (from the third on, as the difference
 * to the count two places back) is written in 5-bit groups, least significant first, as
 * characters 48..111; bit 0x20 marks "more groups follow", bit 0x10 of the last group is the
 * sign.
 */
import type { RleMask } from './rle.js';

export function countsToString(counts: ArrayLike<number>): string {
  const chars: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      // Two's-complement low 5 bits and arithmetic shift, done on doubles so counts up to
      // 2^32 - 1 never overflow a 32-bit integer.
      let c = x - Math.floor(x / 32) * 32;
      x = Math.floor(x / 32);
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
    }
  }
  let s = '';
  for (let i = 0; i < chars.length; i += 4096) s += String.fromCharCode(...chars.slice(i, i + 4096));
  return s;
}

/** 32^k for the at most 7 five-bit groups of one value (multiplication, not `**`, in the hot loop). */
const GROUP_SCALE = [1, 32, 1024, 32768, 1048576, 33554432, 1073741824, 34359738368];

/** Inverse of {@link countsToString}. Throws on characters outside '0'..'o' or a cut-off group. */
export function countsFromString(s: string): Uint32Array {
  // Every value takes at least one character, so s.length bounds the count.
  const counts = new Uint32Array(s.length);
  let m = 0;
  let p = 0;
  const n = s.length;
  while (p < n) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= n) throw new Error(`RLE counts string ends inside a value at character ${p}`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE counts string: character ${JSON.stringify(s[p])} at ${p} is outside '0'..'o'`);
      if (k >= GROUP_SCALE.length - 1) throw new Error(`RLE counts string: value at character ${p} has more than ${GROUP_SCALE.length - 1} groups`);
      x += (c & 0x1f) * GROUP_SCALE[k];
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x -= GROUP_SCALE[k];
    }
    if (m > 2) x += counts[m - 2];
    counts[m++] = x >>> 0;
  }
  return counts.slice(0, m);
}

/** Decodes a COCO compressed RLE object (`{size: [h, w], counts: string}`). */
export function rleFromString(counts: string, h: number, w: number): RleMask {
  return { h, w, counts: countsFromString(counts) };
}

/** Encodes an RLE as a COCO compressed RLE object. */
export function rleToCompressed(rle: RleMask): { size: [number, number]; counts: string } {
  return { size: [rle.h, rle.w], counts: countsToString(rle.counts) };
}
