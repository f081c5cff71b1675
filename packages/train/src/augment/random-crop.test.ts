import { Rng } from '../rng.js';
import { randomCrop } from './random-crop.js';

describe('randomCrop', () => {
  const img = { data: Uint8Array.from({ length: 9 }, (_, i) => i + 1), height: 3, width: 3, channels: 1 as const };

  it('returns windows of the zero-padded image, covering every offset', () => {
    const t = randomCrop(3, 1);
    const seen = new Set<string>();
    const rng = new Rng(1);
    for (let k = 0; k < 200; k++) {
      const out = t(img, rng);
      expect([out.height, out.width]).toEqual([3, 3]);
      seen.add(Array.from(out.data).join(','));
    }
    // 3x3 offsets in the 5x5 padded image; offset (0,0) has zeros on top and left.
    expect(seen.size).toBe(9);
    expect(seen.has('0,0,0,0,1,2,0,4,5')).toBe(true);
    expect(seen.has('1,2,3,4,5,6,7,8,9')).toBe(true);
    expect(seen.has('5,6,0,8,9,0,0,0,0')).toBe(true);
  });

  it('is the identity without padding at full size, and rejects oversize crops', () => {
    expect(randomCrop(3)(img, new Rng(2))).toEqual(img);
    expect(() => randomCrop(6, 1)(img, new Rng(2))).toThrow('randomCrop: crop 6x6 is larger than the padded 5x5 image');
  });
});
