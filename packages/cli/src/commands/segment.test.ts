/**
 * `tfvision segment` end to end on hash-weight checkpoints the test exports:
 * - the .npy contract (deeplabv3_resnet18, [N, H, W, 3] and [H, W, 3] in, [N, H, W, classes]
 *   logits out, equal to the model's own `out`), the class count read from the file;
 * - DeepLabV3+'s side rule on a .npy input (the side and the rule named);
 * - an image folder (deeplabv3plus_resnet18, sides not multiples of 16: padded and cropped) to
 *   class-index PNGs (--out-dir, equal to the argmax of the model's logits on the normalised
 *   padded image computed here) and overlays (--draw, background pixels unchanged, others the
 *   VOC colour blended at --draw-alpha).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, readNpy, writeNpy } from '@tfvision/nn';
import { createSegmenter, type Segmenter } from '@tfvision/heads';
import { hashCheckpoint } from './__tests__/segmenter-checkpoint.js';
import { main } from '../main.js';
import { paletteColour, readLabelPng } from './segment-io.js';


const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-segment-'));
const V3 = 'deeplabv3_resnet18';
const PLUS = 'deeplabv3plus_resnet18';
const CLASSES = 5;
const v3Weights = path.join(dir, 'v3.safetensors');
const plusWeights = path.join(dir, 'plus.safetensors');
let v3: Segmenter;
let plus: Segmenter;

async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  try {
    return { code: await main(argv), stderr: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** Seeded values in [-1, 1) (xorshift32). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** An RGB picture: a gradient sky, a red disc and a blue bar, so an overlay shows shapes. */
function picture(h: number, w: number, shift: number): Uint8Array {
  const rgb = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = [90 + Math.round((100 * y) / h), 140, 200];
      if ((x - w / 3 - shift) ** 2 + (y - h / 2) ** 2 < (h / 4) ** 2) c = [220, 40, 30];
      if (x > (2 * w) / 3 && y > h / 5 && y < (4 * h) / 5) c = [30, 60, 210];
      rgb.set(c, (y * w + x) * 3);
    }
  }
  return rgb;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
  v3 = createSegmenter(V3, { numClasses: CLASSES });
  await hashCheckpoint(v3, v3Weights);
  plus = createSegmenter(PLUS, { numClasses: CLASSES });
  await hashCheckpoint(plus, plusWeights);
}, 120_000);
afterAll(() => {
  v3.dispose();
  plus.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tfvision segment: the .npy contract', () => {
  it('writes [N, H, W, classes] logits equal to the model\'s out, for [N, H, W, 3] and [H, W, 3]', async () => {
    const [n, h, w] = [2, 64, 48];
    const data = seeded(n * h * w * 3, 11);
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [n, h, w, 3], data });
    const before = tf.memory().numTensors;
    const r = await cli('segment', V3, '--weights', v3Weights, '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'y.npy'), '--backend', 'wasm');
    expect(r.stderr).toMatch(/^tfvision segment: deeplabv3_resnet18 \(\d+ tensors\) on .*x\.npy \[2, 64, 48, 3\]: logits \[2, 64, 48, 5\] → .*y\.npy\n$/);
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const y = readNpy(path.join(dir, 'y.npy'));
    expect(y.dtype).toBe('F32');
    expect(y.shape).toEqual([n, h, w, CLASSES]);
    const x = tf.tensor4d(data, [n, h, w, 3]);
    const want = v3.forward(x);
    const expected = want.out.dataSync();
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs((y.data as Float32Array)[i] - expected[i]));
      largest = Math.max(largest, Math.abs(expected[i]));
    }
    // One image per forward (--batch 1) against a batch of two: eval-mode results agree to rounding.
    expect(worst).toBeLessThan(1e-5 * largest);
    expect(largest).toBeGreaterThan(0.01);
    tf.dispose([x, want]);

    writeNpy(path.join(dir, 'x3.npy'), { dtype: 'F32', shape: [h, w, 3], data: data.subarray(0, h * w * 3) });
    const r3 = await cli('segment', V3, '--weights', v3Weights, '--input', path.join(dir, 'x3.npy'), '--output', path.join(dir, 'y3.npy'), '--backend', 'wasm', '--batch', '2');
    expect(r3.code).toBe(0);
    const y3 = readNpy(path.join(dir, 'y3.npy'));
    expect(y3.shape).toEqual([1, h, w, CLASSES]);
    expect(Array.from(y3.data as Float32Array)).toEqual(Array.from((y.data as Float32Array).subarray(0, h * w * CLASSES)));
  }, 120_000);

  it('errors: a DeepLabV3+ side that is not a multiple of 16, a CHW array, an unknown name, another layout', async () => {
    writeNpy(path.join(dir, 'odd.npy'), { dtype: 'F32', shape: [1, 70, 64, 3], data: seeded(70 * 64 * 3, 3) });
    let r = await cli('segment', PLUS, '--weights', plusWeights, '--input', path.join(dir, 'odd.npy'), '--output', path.join(dir, 'o.npy'), '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tfvision segment: DeepLabV3Plus (deeplabv3plus_resnet18).forward: input height 70 is not a multiple of 16 (the output stride; sides must be divisible by it, pad to 80)\n');

    writeNpy(path.join(dir, 'chw.npy'), { dtype: 'F32', shape: [3, 32, 32], data: new Float32Array(3 * 32 * 32) });
    r = await cli('segment', V3, '--weights', v3Weights, '--input', path.join(dir, 'chw.npy'), '--output', path.join(dir, 'o.npy'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chw\.npy: expected shape \[H, W, 3\] or \[N, H, W, 3\], got \[3, 32, 32\] \(it looks channels-first; transpose to NHWC\)\n$/);

    r = await cli('segment', 'deeplabv3_resnet1', '--weights', v3Weights, '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'o.npy'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tfvision segment: segment: unknown segmenter "deeplabv3_resnet1" \(did you mean .*deeplabv3_resnet18/);

    r = await cli('segment', PLUS, '--weights', v3Weights, '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'o.npy'), '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/v3\.safetensors: state dict does not match DeepLabV3Plus \(strict load, nothing assigned\): \d+ missing \[encoder\.model\.conv1\.weight.*the checkpoint has torchvision's DeepLabV3 layout/);
  }, 120_000);
});

describe('tfvision segment: image files', () => {
  it('writes class-index PNGs (--out-dir) and overlays (--draw) of each image\'s size', async () => {
    const images = path.join(dir, 'images');
    fs.mkdirSync(images);
    const sizes: [string, number, number][] = [['a', 90, 120], ['b', 57, 71]];
    for (const [name, h, w] of sizes) await sharp(Buffer.from(picture(h, w, name === 'a' ? 0 : 8)), { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(images, `${name}.png`));
    const outDir = path.join(dir, 'labels');
    const drawDir = path.join(dir, 'draw');
    const before = tf.memory().numTensors;
    const r = await cli('segment', PLUS, '--weights', plusWeights, images, '--out-dir', outDir, '--draw', drawDir, '--draw-alpha', '0.6', '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/segment: 1\/2 images \(\d+\.\d\d images\/s, ETA \d+ s\)\nsegment: 2\/2 images .*\ntfvision segment: deeplabv3plus_resnet18 on 2 images: class maps → .*labels, overlays → .*draw\n$/);
    expect(tf.memory().numTensors).toBe(before);

    for (const [name, h, w] of sizes) {
      const meta = await sharp(path.join(outDir, `${name}.png`)).metadata();
      expect([meta.width, meta.height, meta.channels, meta.space, meta.format]).toEqual([w, h, 1, 'b-w', 'png']);
      const labels = await readLabelPng(path.join(outDir, `${name}.png`));
      // The argmax of the model's logits on the normalised image, zero-padded to multiples of 16.
      const rgb = picture(h, w, name === 'a' ? 0 : 8);
      const [ph, pw] = [Math.ceil(h / 16) * 16, Math.ceil(w / 16) * 16];
      const mean = [0.485, 0.456, 0.406];
      const std = [0.229, 0.224, 0.225];
      const x = new Float32Array(ph * pw * 3);
      for (let y = 0; y < h; y++) for (let c = 0; c < w; c++) for (let k = 0; k < 3; k++) x[(y * pw + c) * 3 + k] = (rgb[(y * w + c) * 3 + k] / 255 - mean[k]) / std[k];
      const input = tf.tensor4d(x, [1, ph, pw, 3]);
      const out = plus.forward(input);
      const ids = tf.argMax(tf.slice(out.out, [0, 0, 0, 0], [1, h, w, CLASSES]), 3);
      const want = ids.dataSync();
      let agree = 0;
      for (let p = 0; p < h * w; p++) if (labels.data[p] === want[p]) agree++;
      // Equal up to float near-ties between two classes' logits.
      expect(agree).toBeGreaterThanOrEqual(h * w - 2);
      tf.dispose([input, out, ids]);
      const classes = new Set(labels.data);
      expect(classes.size).toBeGreaterThan(1);
      expect(Math.max(...classes)).toBeLessThan(CLASSES);

      const drawn = await sharp(path.join(drawDir, `${name}.png`)).raw().toBuffer({ resolveWithObject: true });
      expect([drawn.info.width, drawn.info.height, drawn.info.channels]).toEqual([w, h, 3]);
      for (let p = 0; p < h * w; p++) {
        const k = labels.data[p];
        const colour = paletteColour(k);
        for (let c = 0; c < 3; c++) {
          const v = rgb[p * 3 + c];
          expect(drawn.data[p * 3 + c]).toBe(k === 0 ? v : Math.round(0.6 * colour[c] + 0.4 * v));
        }
      }
    }
  }, 180_000);

  it('the VOC palette: class 1 dark red, 2 dark green, 15 person', () => {
    expect([paletteColour(0), paletteColour(1), paletteColour(2), paletteColour(3), paletteColour(15)]).toEqual([[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [192, 128, 128]]);
  });
});
