import { enlarge } from './draw-predictions.js';

describe('enlarge (the drawn detections are the image scaled up by nearest neighbour)', () => {
  it('repeats every pixel factor x factor times, channels kept together', () => {
    // 2x1 RGB image: red, blue.
    const out = enlarge(Uint8Array.from([255, 0, 0, 0, 0, 255]), 2, 1, 3, 2);
    expect(Array.from(out)).toEqual([255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255]);
  });

  it('keeps the array type and works on one-channel masks', () => {
    const out = enlarge(Float32Array.from([0.25, 1]), 1, 2, 1, 3);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});
