/**
 * Parity with torchvision 0.14's tensor path on small uint8 images. Expected outputs come from
 * fixtures/torchvision_ops.py (committed JSON), so this test needs no Python.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageU8 } from './image.js';
import { applyAugmentOp, augmentationSpace, type AugmentOpName } from './auto-augment-ops.js';
import { IMAGENET_POLICY } from './auto-augment.js';
import { adjustHue } from './pixel-ops.js';
import { resize, resizeRegion, type Interpolation } from './resample.js';
import { resizeShortCenterCrop } from './eval-transform.js';
import { Rng } from '../rng.js';

interface Fixture {
  inputs: Record<string, { channels: 1 | 3; height: number; width: number; data: number[] }>;
  ops: { input: string; op: AugmentOpName; magnitude: number; output: number[] }[];
  hue: { input: string; factor: number; output: number[] }[];
  resize: { input: string; mode: Interpolation; size: [number, number]; antialias?: boolean; output: number[] }[];
  resizedCrop: { input: string; mode: Interpolation; box: [number, number, number, number]; size: [number, number]; output: number[] }[];
  eval: { input: string; crop: number; cropPct: number; antialias: boolean; shape: number[]; output: number[] }[];
  spaces: Record<string, Record<'autoaugment' | 'randaugment', Record<string, { magnitudes: number[] | null; signed: boolean }>>>;
  imagenetPolicy: [string, number, number | null][][];
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'torchvision-ops.json'), 'utf8')) as Fixture;

function input(name: string): ImageU8 {
  const e = fixture.inputs[name];
  return { channels: e.channels, height: e.height, width: e.width, data: Uint8Array.from(e.data) };
}

/** Number of values differing, and the largest difference. */
function diff(actual: Uint8Array, expected: number[]): { count: number; max: number } {
  expect(actual.length).toBe(expected.length);
  let count = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

describe('AutoAugment/RandAugment ops match torchvision', () => {
  it.each(fixture.ops.map((c) => [`${c.op}(${c.magnitude}) on ${c.input}`, c] as const))('%s', (_name, c) => {
    const out = applyAugmentOp(input(c.input), c.op, c.magnitude);
    expect(diff(out.data, c.output)).toEqual({ count: 0, max: 0 });
  });
});

describe('adjustHue matches torchvision', () => {
  it.each(fixture.hue.map((c) => [`hue ${c.factor} on ${c.input}`, c] as const))('%s', (_name, c) => {
    expect(diff(adjustHue(input(c.input), c.factor).data, c.output)).toEqual({ count: 0, max: 0 });
  });
});

describe('resize matches torch interpolate (antialias off and on)', () => {
  it.each(fixture.resize.map((c) => [`${c.mode}${c.antialias ? ' antialias' : ''} ${c.input} -> ${c.size.join('x')}`, c] as const))('%s', (_name, c) => {
    const d = diff(resize(input(c.input), c.size[0], c.size[1], c.mode, { antialias: c.antialias === true }).data, c.output);
    expect(d.max).toBeLessThanOrEqual(1);
    expect(d.count).toBeLessThanOrEqual(2);
  });
  it.each(fixture.resizedCrop.map((c) => [`resized_crop ${c.mode}`, c] as const))('%s', (_name, c) => {
    const [top, left, h, w] = c.box;
    const d = diff(resizeRegion(input(c.input), top, left, h, w, c.size[0], c.size[1], c.mode).data, c.output);
    expect(d.max).toBeLessThanOrEqual(1);
    expect(d.count).toBeLessThanOrEqual(2);
  });
  it.each(fixture.eval.map((c) => [`eval crop ${c.crop} pct ${c.cropPct}${c.antialias ? ' antialias' : ''} on ${c.input}`, c] as const))('%s', (_name, c) => {
    const out = resizeShortCenterCrop(c.crop, c.cropPct, 'bilinear', c.antialias)(input(c.input), new Rng(0));
    expect([out.channels, out.height, out.width]).toEqual(c.shape);
    const d = diff(out.data, c.output);
    expect(d.max).toBeLessThanOrEqual(1);
    expect(d.count).toBeLessThanOrEqual(2);
  });
});

describe('magnitude tables equal torchvision _augmentation_space', () => {
  it.each(Object.entries(fixture.spaces).flatMap(([size, sets]) => (['autoaugment', 'randaugment'] as const).map((set) => [size, set, sets[set]] as const)))(
    '%s %s',
    (size, set, expected) => {
      const [h, w] = size.split('x').map(Number);
      const ours = augmentationSpace(set === 'autoaugment' ? 10 : 31, h, w, set);
      expect([...ours.keys()]).toEqual(Object.keys(expected));
      for (const [op, e] of Object.entries(expected)) {
        const o = ours.get(op as AugmentOpName)!;
        expect(o.signed).toBe(e.signed);
        if (e.magnitudes === null) expect(o.magnitudes).toBeNull();
        else {
          // torch's vectorised float32 linspace can land one ulp away from the scalar formula.
          expect(o.magnitudes).toHaveLength(e.magnitudes.length);
          o.magnitudes!.forEach((v, i) => expect(Math.abs(v - e.magnitudes![i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e.magnitudes![i]))));
        }
      }
    },
  );
  it('the ImageNet policy is torchvision\'s, step by step', () => {
    expect(IMAGENET_POLICY.map((sub) => sub.map((s) => [s.op, s.prob, s.bin]))).toEqual(fixture.imagenetPolicy);
  });
});
