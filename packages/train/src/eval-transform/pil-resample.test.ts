import { pilAxisCoefficients, pilResize } from './pil-resample.js';
import type { ImageU8 } from '../augment/image.js';

function gray(h: number, w: number, values: number[]): ImageU8 {
  // One channel per pixel replicated to RGB, so each channel must come out the same.
  const data = new Uint8Array(h * w * 3);
  values.forEach((v, i) => data.fill(v, 3 * i, 3 * i + 3));
  return { data, height: h, width: w, channels: 3 };
}

describe('pilResize (Pillow Resample.c semantics)', () => {
  it('bilinear 4 -> 2 stretches the triangle to radius 2 and rounds in 22-bit fixed point', () => {
    // Output 0: centre 1, taps 0..2, triangle((x - 1 + 0.5) / 2) = 0.75, 0.75, 0.25 -> 3/7, 3/7, 1/7:
    // 70·3/7 + 140/7 = 50 (fixed point: 50.50001 floors to 50). Output 1: taps 1..3, 1/7, 3/7, 3/7 -> 160.
    const out = pilResize(gray(1, 4, [0, 70, 140, 210]), 1, 2, 'bilinear');
    expect(Array.from(out.data)).toEqual([50, 50, 50, 160, 160, 160]);
    const c = pilAxisCoefficients(4, 2, 'bilinear');
    expect(Array.from(c.first)).toEqual([0, 1]);
    expect(Array.from(c.count)).toEqual([3, 3]);
    expect(Array.from(c.weight.subarray(0, 3))).toEqual([Math.round((3 / 7) * 2 ** 22), Math.round((3 / 7) * 2 ** 22), Math.round((1 / 7) * 2 ** 22)]);
  });

  it('bicubic upsampling keeps the kernel radius 2 and clamps the overshoot to [0, 255]', () => {
    // 2 -> 4: output 0 has centre 0.25, taps 0..1 (the window [-1.25, 2.75) clipped to the image),
    // Keys a = -0.5 at 0.25 and 1.25 (a negative lobe), normalised, then 22-bit fixed point.
    const k = (x: number): number => {
      const a = -0.5, ax = Math.abs(x);
      return ax < 1 ? ((a + 2) * ax - (a + 3)) * ax * ax + 1 : ax < 2 ? (((ax - 5) * ax + 8) * ax - 4) * a : 0;
    };
    const fixed = (w: number): number => (w < 0 ? Math.trunc(-0.5 + w * 2 ** 22) : Math.trunc(0.5 + w * 2 ** 22));
    const w0 = k(0.25), w1 = k(1.25);
    expect(w1).toBeLessThan(0);
    const expected0 = Math.floor((fixed(w0 / (w0 + w1)) * 100 + fixed(w1 / (w0 + w1)) * 200 + 2 ** 21) / 2 ** 22);
    expect(expected0).toBe(91); // 100·1.0882 - 200·0.0882 = 91.18
    const out = pilResize(gray(1, 2, [100, 200]), 1, 4, 'bicubic');
    expect(out.data[0]).toBe(expected0);
    expect(out.data[9]).toBe(200 - (expected0 - 100));
    // A step 0 | 255 | 0 rings below zero beside the peak: clamped, never wrapped.
    const ring = pilResize(gray(1, 3, [0, 255, 0]), 1, 9, 'bicubic');
    expect(Math.min(...ring.data)).toBe(0);
    expect(Math.max(...ring.data)).toBeLessThanOrEqual(255);
  });

  it('an unchanged axis is copied, not filtered', () => {
    const img = gray(2, 3, [1, 2, 3, 4, 5, 6]);
    const out = pilResize(img, 2, 3, 'bicubic');
    expect(out.data).toEqual(img.data);
    expect(out.data).not.toBe(img.data);
    expect(Array.from(pilResize(img, 1, 3, 'bilinear').data.filter((_, i) => i % 3 === 0))).toEqual([3, 4, 5]);
  });

  it('rejects bad sizes and modes with the argument named', () => {
    const img = gray(1, 1, [0]);
    expect(() => pilResize(img, 0, 1, 'bilinear')).toThrow('pilResize: outHeight must be a positive integer, got 0');
    expect(() => pilResize(img, 1, 1.5, 'bilinear')).toThrow('pilResize: outWidth must be a positive integer, got 1.5');
    expect(() => pilResize(img, 1, 1, 'nearest' as 'bilinear')).toThrow('pilResize: mode must be bilinear or bicubic, got nearest');
  });
});
