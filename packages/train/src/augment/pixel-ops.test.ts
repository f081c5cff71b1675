/** Hand-computed results of each op on tiny images. */
import type { ImageU8 } from './image.js';
import { adjustBrightness, adjustContrast, adjustSaturation, autocontrast, equalize, invert, posterize, solarize, grayscaleValues } from './pixel-ops.js';
import { rotate, shearX, translateX, translateY } from './geometric-ops.js';

function gray(rows: number[][]): ImageU8 {
  return { data: Uint8Array.from(rows.flat()), height: rows.length, width: rows[0].length, channels: 1 };
}

describe('pixel ops', () => {
  it('posterize keeps the top 4 bits', () => {
    expect(Array.from(posterize(gray([[0, 15, 16, 255, 200]]), 4).data)).toEqual([0, 0, 16, 240, 192]);
  });
  it('solarize at 128 inverts values >= 128 only', () => {
    expect(Array.from(solarize(gray([[0, 127, 128, 200, 255]]), 128).data)).toEqual([0, 127, 127, 55, 0]);
  });
  it('invert is 255 - x', () => {
    expect(Array.from(invert(gray([[0, 1, 128, 255]])).data)).toEqual([255, 254, 127, 0]);
  });
  it('equalize of a two-level image maps the levels to 0 and 128', () => {
    // 3 pixels of 50, 3 of 200: step = floor(3 / 255) = 0 -> unchanged (too few pixels to equalise).
    expect(Array.from(equalize(gray([[50, 50, 50, 200, 200, 200]])).data)).toEqual([50, 50, 50, 200, 200, 200]);
    // 510 pixels of 50 and 10 of 200: step = floor(510 / 255) = 2; lut[50] = floor((0 + 1) / 2) = 0,
    // lut[200] = floor((510 + 1) / 2) = 255.
    const img = gray([[...new Array(510).fill(50), ...new Array(10).fill(200)]]);
    const out = equalize(img).data;
    expect(out[0]).toBe(0);
    expect(out[519]).toBe(255);
  });
  it('autocontrast stretches each channel to 0..255 and leaves flat channels', () => {
    expect(Array.from(autocontrast(gray([[10, 20, 30]])).data)).toEqual([0, 127, 255]);
    expect(Array.from(autocontrast(gray([[7, 7]])).data)).toEqual([7, 7]);
  });
  it('brightness scales and saturates, truncating', () => {
    expect(Array.from(adjustBrightness(gray([[10, 100, 200]]), 1.5).data)).toEqual([15, 150, 255]);
    expect(Array.from(adjustBrightness(gray([[3]]), 0.5).data)).toEqual([1]);
  });
  it('contrast blends towards the mean of the grayscale image', () => {
    // mean 100; factor 0.5: 0.5·x + 50.
    expect(Array.from(adjustContrast(gray([[50, 150]]), 0.5).data)).toEqual([75, 125]);
  });
  it('saturation 0 gives the luma 0.2989 R + 0.587 G + 0.114 B (truncated) in all channels', () => {
    const rgb: ImageU8 = { data: Uint8Array.from([255, 0, 0, 10, 20, 30]), height: 1, width: 2, channels: 3 };
    // 0.2989·255 = 76.2; 0.2989·10 + 0.587·20 + 0.114·30 = 18.149.
    expect(Array.from(grayscaleValues(rgb))).toEqual([76, 18]);
    expect(Array.from(adjustSaturation(rgb, 0).data)).toEqual([76, 76, 76, 18, 18, 18]);
    expect(adjustSaturation(gray([[1, 2]]), 0).data).toEqual(Uint8Array.from([1, 2]));
  });
});

describe('geometric ops (nearest, fill 0)', () => {
  const img = gray([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('translateX by 1 px shifts right and fills 0', () => {
    expect(Array.from(translateX(img, 1).data)).toEqual([0, 1, 2, 0, 4, 5]);
    expect(Array.from(translateX(img, -1.9).data)).toEqual([2, 3, 0, 5, 6, 0]);
  });
  it('translateY by 1 px shifts down', () => {
    expect(Array.from(translateY(img, 1).data)).toEqual([0, 0, 0, 1, 2, 3]);
  });
  it('rotate by 180 degrees reverses the image; 0 is the identity', () => {
    expect(Array.from(rotate(img, 180).data)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(Array.from(rotate(img, 0).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('rotate by 90 degrees is counter-clockwise on a square image', () => {
    const sq = gray([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(rotate(sq, 90).data)).toEqual([2, 4, 1, 3]);
  });
  it('shearX(1) reads input x + y + 0.5 (torchvision shears about the pixel-grid corner), rounding half to even', () => {
    const rows = gray([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    // Row 0 reads 0.5,1.5,2.5,3.5 -> 0,2,2,4(out); row 1 reads 1.5..4.5 -> 2,2,4,4; row 2 -> 2,4,4,6.
    expect(Array.from(shearX(rows, 1).data)).toEqual([1, 3, 3, 0, 7, 7, 0, 0, 11, 0, 0, 0]);
  });
});
