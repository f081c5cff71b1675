import { Rng } from '../rng.js';
import { compose, horizontalFlip as flipDetectionSample, type DetectionSample, type RgbImage } from '@tfvision/coco';
import { createImage, type ImageU8 } from './image.js';
import { randomResizedCrop, randomResizedCropParams } from './random-resized-crop.js';
import { horizontalFlip, randomHorizontalFlip } from './flip.js';
import { colorJitter } from './color-jitter.js';
import { lighting, lightingOffset } from './lighting.js';
import { autoAugment, IMAGENET_POLICY } from './auto-augment.js';
import { augmentationSpace } from './auto-augment-ops.js';
import { randAugment } from './rand-augment.js';
import { centerCrop, resizeShortCenterCrop, shortSideSize } from './eval-transform.js';
import { toFloatNormalized } from './normalize.js';

function randomImage(h: number, w: number, c: 1 | 3, seed: number): ImageU8 {
  const rng = new Rng(seed);
  const img = createImage(h, w, c);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.int(256);
  return img;
}

describe('randomResizedCrop', () => {
  it('keeps crops inside the image and within scale/ratio bounds (up to rounding) over many draws', () => {
    const rng = new Rng(1);
    const scale: [number, number] = [0.08, 1];
    const ratio: [number, number] = [3 / 4, 4 / 3];
    const [H, W] = [120, 160];
    for (let k = 0; k < 3000; k++) {
      const b = randomResizedCropParams(H, W, scale, ratio, rng);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top + b.height).toBeLessThanOrEqual(H);
      expect(b.left + b.width).toBeLessThanOrEqual(W);
      if (b.height === H && b.width === W) continue; // fallback (whole image: ratio 4/3 is in range)
      // w and h are rounded from sqrt(area·r), sqrt(area/r): allow half a pixel on each.
      const area = b.width * b.height;
      expect(area).toBeGreaterThanOrEqual(scale[0] * H * W - (b.width + b.height) / 2 - 0.25);
      expect(area).toBeLessThanOrEqual(scale[1] * H * W + (b.width + b.height) / 2 + 0.25);
      expect((b.width + 0.5) / (b.height - 0.5)).toBeGreaterThanOrEqual(ratio[0]);
      expect((b.width - 0.5) / (b.height + 0.5)).toBeLessThanOrEqual(ratio[1]);
    }
  });
  it('falls back to a centre crop clamped to the ratio range on extreme aspect images', () => {
    const rng = new Rng(2);
    // 10x1000: in_ratio 100 > 4/3, any 8%+ area crop is too wide for h <= 10 -> fallback.
    expect(randomResizedCropParams(10, 1000, [0.08, 1], [3 / 4, 4 / 3], rng)).toEqual({ top: 0, left: 493, height: 10, width: 13 });
    // 1000x10: tall -> w = 10, h = round(10 / (3/4)) = 13, centred.
    expect(randomResizedCropParams(1000, 10, [0.08, 1], [3 / 4, 4 / 3], rng)).toEqual({ top: 493, left: 0, height: 13, width: 10 });
  });
  it('outputs the requested size and is deterministic for a given rng state', () => {
    const img = randomImage(30, 40, 3, 3);
    const t = randomResizedCrop([12, 16], { interpolation: 'bicubic' });
    const a = t(img, new Rng(9));
    const b = t(img, new Rng(9));
    expect([a.height, a.width, a.channels]).toEqual([12, 16, 3]);
    expect(a.data).toEqual(b.data);
    expect(() => randomResizedCrop(8, { scale: [0.5, 0.1] })).toThrow('randomResizedCrop: scale must satisfy 0 < lo <= hi <= 1, got [0.5, 0.1]');
  });
});

describe('flip', () => {
  it('mirrors columns and keeps channel order', () => {
    const img: ImageU8 = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), height: 1, width: 2, channels: 3 };
    expect(Array.from(horizontalFlip(img).data)).toEqual([4, 5, 6, 1, 2, 3]);
  });
  it('flips about half the time with p = 0.5, never with 0, always with 1', () => {
    const img = randomImage(2, 3, 1, 4);
    const rng = new Rng(5);
    let flipped = 0;
    for (let i = 0; i < 2000; i++) if (randomHorizontalFlip(0.5)(img, rng) !== img) flipped++;
    expect(Math.abs(flipped / 2000 - 0.5)).toBeLessThan(0.05);
    expect(randomHorizontalFlip(0)(img, rng)).toBe(img);
    expect(randomHorizontalFlip(1)(img, rng).data).toEqual(horizontalFlip(img).data);
  });
});

describe('colorJitter', () => {
  it('brightness only: the output is the input scaled by one factor in [1-b, 1+b]', () => {
    const img: ImageU8 = { data: Uint8Array.from([100, 100, 100]), height: 1, width: 1, channels: 3 };
    const rng = new Rng(6);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const v = colorJitter({ brightness: 0.4 })(img, rng).data[0];
      expect(v).toBeGreaterThanOrEqual(60);
      expect(v).toBeLessThanOrEqual(140);
      seen.add(v);
    }
    expect(seen.size).toBeGreaterThan(40);
  });
  it('is the identity with no jitter and rejects bad options', () => {
    const img = randomImage(3, 3, 3, 7);
    expect(colorJitter({})(img, new Rng(1)).data).toEqual(img.data);
    expect(() => colorJitter({ hue: 0.6 })).toThrow('colorJitter: hue must be in [0, 0.5], got 0.6');
    expect(() => colorJitter({ brigthness: 0.4 } as never)).toThrow("colorJitter: unknown option 'brigthness'");
  });
  it('saturation/hue keep a gray pixel gray (its value may drop by one: torchvision luma weights sum to 0.9999)', () => {
    const img: ImageU8 = { data: Uint8Array.from([90, 90, 90]), height: 1, width: 1, channels: 3 };
    const rng = new Rng(8);
    for (let i = 0; i < 50; i++) {
      const [r, g, b] = colorJitter({ saturation: 0.8, hue: 0.4 })(img, rng).data;
      expect(r).toBe(g);
      expect(g).toBe(b);
      expect(r === 90 || r === 89).toBe(true);
    }
  });
});

describe('lighting', () => {
  it('offset = eigvec · (alpha ∘ eigval), hand-computed for alpha = (1, 0, 0) and (0, 0, 1)', () => {
    const o1 = lightingOffset([1, 0, 0]);
    expect(o1[0]).toBeCloseTo(-0.5675 * 0.2175, 12);
    expect(o1[1]).toBeCloseTo(-0.5808 * 0.2175, 12);
    expect(o1[2]).toBeCloseTo(-0.5836 * 0.2175, 12);
    const o3 = lightingOffset([0, 0, 1]);
    expect(o3).toEqual([0.4009 * 0.0045, -0.814 * 0.0045, 0.4203 * 0.0045]);
  });
  it('adds one offset per channel (on 0..255), rounded and clamped, with std 0.1 spread', () => {
    const img: ImageU8 = { data: Uint8Array.from([128, 128, 128, 0, 255, 10]), height: 1, width: 2, channels: 3 };
    const rng = new Rng(10);
    let sumSq = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const out = lighting(0.1)(img, rng).data;
      // Same offset on both pixels of a channel (up to clamping).
      expect(out[3]).toBe(Math.max(0, Math.min(255, out[3])));
      const d = out[0] - 128;
      sumSq += d * d;
    }
    // Channel R offset std ≈ 255·0.1·sqrt(Σ_k (eigvec[0][k]·eigval[k])²) ≈ 3.15.
    const expected = 255 * 0.1 * Math.hypot(-0.5675 * 0.2175, 0.7192 * 0.0188, 0.4009 * 0.0045);
    expect(Math.sqrt(sumSq / n)).toBeGreaterThan(expected * 0.85);
    expect(Math.sqrt(sumSq / n)).toBeLessThan(expected * 1.15);
    expect(lighting(0)(img, rng)).toBe(img);
  });
});

describe('AutoAugment', () => {
  it('has 25 sub-policies of 2 ops each, all with known ops and bins in 0..9', () => {
    expect(IMAGENET_POLICY).toHaveLength(25);
    const space = augmentationSpace(10, 224, 224, 'autoaugment');
    for (const sub of IMAGENET_POLICY) {
      expect(sub).toHaveLength(2);
      for (const s of sub) {
        expect(space.has(s.op)).toBe(true);
        expect(s.prob).toBeGreaterThanOrEqual(0);
        expect(s.prob).toBeLessThanOrEqual(1);
        if (space.get(s.op)!.magnitudes) expect(s.bin).toEqual(expect.any(Number));
        else expect(s.bin).toBeNull();
      }
    }
  });
  it("magnitudes at chosen bins equal torchvision's numbers", () => {
    const s = augmentationSpace(10, 224, 331, 'autoaugment');
    expect(s.get('Rotate')!.magnitudes![9]).toBe(30);
    expect(s.get('Rotate')!.magnitudes![3]).toBeCloseTo(10, 5);
    expect(s.get('ShearX')!.magnitudes![9]).toBeCloseTo(0.3, 6);
    expect(s.get('TranslateX')!.magnitudes![9]).toBeCloseTo(150, 4); // 150/331 · width 331
    expect(s.get('TranslateY')!.magnitudes![9]).toBeCloseTo((150 / 331) * 224, 4);
    expect(s.get('Color')!.magnitudes![4]).toBeCloseTo(0.4, 6);
    expect(s.get('Posterize')!.magnitudes).toEqual([8, 8, 7, 7, 6, 6, 5, 5, 4, 4]);
    expect(s.get('Solarize')!.magnitudes![5]).toBeCloseTo((255 * 4) / 9, 4);
    expect(s.get('Solarize')!.magnitudes![9]).toBe(0);
    expect(s.get('Invert')).toEqual({ magnitudes: null, signed: false });
    expect(['ShearX', 'Rotate', 'Color', 'Brightness'].every((op) => s.get(op as 'ShearX')!.signed)).toBe(true);
  });
  it('is deterministic per rng state and changes images', () => {
    const img = randomImage(16, 16, 3, 11);
    const t = autoAugment();
    expect(t(img, new Rng(3)).data).toEqual(t(img, new Rng(3)).data);
    let changed = 0;
    const rng = new Rng(4);
    for (let i = 0; i < 50; i++) if (Buffer.compare(t(img, rng).data, img.data) !== 0) changed++;
    expect(changed).toBeGreaterThan(25);
  });
});

describe('RandAugment', () => {
  it('uses 14 ops (Identity in, Invert out) and 31 bins; magnitude 9 of 31 is 0.27 for Color', () => {
    const s = augmentationSpace(31, 32, 32, 'randaugment');
    expect(s.size).toBe(14);
    expect(s.has('Identity')).toBe(true);
    expect(s.has('Invert')).toBe(false);
    expect(s.get('Color')!.magnitudes![9]).toBeCloseTo(0.27, 6);
    expect(s.get('Posterize')!.magnitudes![9]).toBe(7); // 8 - round(9 / 7.5)
  });
  it('numOps 0 is the identity; options are validated', () => {
    const img = randomImage(8, 8, 1, 12);
    expect(randAugment({ numOps: 0 })(img, new Rng(1))).toBe(img);
    expect(() => randAugment({ magnitude: 31 })).toThrow('randAugment: magnitude must be an integer bin in 0..30, got 31');
  });
});

describe('eval transform', () => {
  it('resizes the short side to floor(crop / cropPct) and centre crops', () => {
    expect(shortSideSize(300, 400, 256)).toEqual([256, 341]);
    expect(shortSideSize(500, 375, 256)).toEqual([341, 256]);
    const img = randomImage(30, 40, 3, 13);
    const out = resizeShortCenterCrop(24, 0.875)(img, new Rng(0)); // floor(24/0.875) = 27 -> 27x36 -> 24x24
    expect([out.height, out.width, out.channels]).toEqual([24, 24, 3]);
  });
  it('centre crop offsets round((size - crop) / 2) and pads with zeros when the image is smaller', () => {
    const img: ImageU8 = { data: Uint8Array.from([1, 2, 3, 4, 5]), height: 1, width: 5, channels: 1 };
    expect(Array.from(centerCrop(img, 1, 2).data)).toEqual([3, 4]); // round(1.5) = 2
    expect(Array.from(centerCrop(img, 3, 2).data)).toEqual([0, 0, 3, 4, 0, 0]);
  });
});

describe('toFloatNormalized and compose', () => {
  it('computes (x/255 - mean)/std per channel in HWC order', () => {
    const img: ImageU8 = { data: Uint8Array.from([0, 255, 51]), height: 1, width: 1, channels: 3 };
    const out = toFloatNormalized(img, [0.5, 0.5, 0.2], [0.5, 0.25, 0.1]);
    expect(out[0]).toBeCloseTo(-1, 6);
    expect(out[1]).toBeCloseTo(2, 6);
    expect(out[2]).toBeCloseTo(0, 6);
    expect(() => toFloatNormalized(img, [0.5], [0.5])).toThrow('toFloatNormalized: mean and std need 3 values for a 3-channel image, got 1 and 1');
  });
  it('compose applies augmentations left to right with one rng, synchronously', () => {
    const img: ImageU8 = { data: Uint8Array.from([1, 2]), height: 1, width: 2, channels: 1 };
    const t = compose(randomHorizontalFlip(1), (x: ImageU8) => ({ ...x, data: x.data.map((v) => v * 10) }));
    const out = t(img, new Rng(0));
    expect(out).not.toBeInstanceOf(Promise);
    expect(Array.from(out.data)).toEqual([20, 10]);
  });
});

describe('one image type for every kind of data', () => {
  it('an augmentation takes a detection sample\'s 8-bit image as it is, and flips it as the detection flip does', () => {
    const image: RgbImage<Uint8Array> = { data: Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 7), height: 2, width: 3, channels: 3 };
    const sample: DetectionSample = {
      imageId: 1, fileName: 'a.png', image, originalSize: [2, 3], contentSize: [2, 3],
      boxes: Float32Array.from([0, 0, 1, 2]), labels: Int32Array.from([1]), areas: Float32Array.from([2]),
      crowdBoxes: new Float32Array(0), annotationIds: [1], degenerateDropped: 0, crowdDropped: 0,
    };
    const augmented = randomHorizontalFlip(1)(image, new Rng(0));
    expect(augmented.channels).toBe(3);
    expect(Array.from(augmented.data)).toEqual(Array.from(flipDetectionSample(sample).image.data));
  });
});
