/**
 * Per-transform CPU cost on one thread: `node packages/train/dist/augment/augment-bench.js
 * [--rounds 5] [--iters 20]`. Uses a synthetic 375x500 RGB image (ImageNet's typical size) for
 * crops/resizes and its 224x224 resize for the per-image ops; prints one JSON line per transform
 * with the best round's milliseconds per image (the minimum is the least disturbed by other load).
 */
import { Rng } from '../rng.js';
import { createImage, type ImageU8 } from './image.js';
import { resize } from './resample.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { randomHorizontalFlip } from './flip.js';
import { colorJitter } from './color-jitter.js';
import { lighting } from './lighting.js';
import { autoAugment } from './auto-augment.js';
import { randAugment } from './rand-augment.js';
import { applyAugmentOp, AUGMENT_OP_NAMES } from './auto-augment-ops.js';
import { resizeShortCenterCrop } from './eval-transform.js';
import { toFloatNormalized } from './normalize.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

const rounds = arg('rounds', 5);
const iters = arg('iters', 20);
const rng = new Rng(1);
const big = createImage(375, 500, 3);
for (let i = 0; i < big.data.length; i++) big.data[i] = (Math.sin(i * 0.001) * 100 + 128 + ((i * 7919) % 37)) & 255;
const small = resize(big, 224, 224, 'bilinear');

function bench(name: string, fn: () => unknown): void {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) fn();
    best = Math.min(best, (performance.now() - t0) / iters);
  }
  console.log(JSON.stringify({ transform: name, msPerImage: Number(best.toFixed(3)) }));
}

const on = (t: (img: ImageU8, r: Rng) => ImageU8, img: ImageU8) => () => t(img, rng);
bench('randomResizedCrop(224, bilinear) 375x500', on(randomResizedCrop(224), big));
bench('randomResizedCrop(224, bicubic) 375x500', on(randomResizedCrop(224, { interpolation: 'bicubic' }), big));
bench('randomResizedCrop(224, bilinear, antialias) 375x500', on(randomResizedCrop(224, { antialias: true }), big));
bench('resizeShortCenterCrop(224, 0.875, bicubic) 375x500', on(resizeShortCenterCrop(224, 0.875, 'bicubic'), big));
bench('resizeShortCenterCrop(224, 0.875, bicubic, antialias) 375x500', on(resizeShortCenterCrop(224, 0.875, 'bicubic', true), big));
bench('randomHorizontalFlip(1) 224', on(randomHorizontalFlip(1), small));
bench('colorJitter(0.4, 0.4, 0.4) 224', on(colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }), small));
bench('colorJitter(hue 0.1) 224', on(colorJitter({ hue: 0.1 }), small));
bench('lighting(0.1) 224', on(lighting(0.1), small));
bench('autoAugment(imagenet) 224', on(autoAugment(), small));
bench('randAugment(2, 9) 224', on(randAugment(), small));
for (const op of AUGMENT_OP_NAMES) {
  const m = op === 'Posterize' ? 4 : op === 'Solarize' ? 128 : op === 'Rotate' ? 20 : op.startsWith('Translate') ? 30 : 0.3;
  bench(`op ${op} 224`, () => applyAugmentOp(small, op, m));
}
bench('toFloatNormalized 224', () => toFloatNormalized(small, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]));
