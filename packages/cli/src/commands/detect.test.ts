import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadStateDict, readNpy, torchShapeOf, writeNpy, type HostTensor } from '@tfvision/nn';
import { fnv1a32 } from '@tfvision/backbones';
import { createDetector, exportDetectorCheckpoint, type GeneralizedRcnn } from '@tfvision/heads';
import { generateSyntheticCoco, loadRes, readCocoFile, type CocoResult } from '@tfvision/coco';
import { main } from '../main.js';
import { detectCommand } from './detect.js';

const NAME = 'maskrcnn_resnet18_fpn';
/** The synthetic COCO set has 5 categories: the checkpoint's 6 classes count the background. */
const CLASSES = 6;
const SETTINGS = ['--min-size', '64', '--max-size', '96', '--score-thresh', '0', '--backend', 'wasm'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-detect-'));
const weights = path.join(dir, 'w.safetensors');

// Closure constants: a global Math lookup in a hot loop is slow inside jest's vm context.
const { imul, sqrt } = Math;

/**
 * Deterministic full-rank weights (a hash of name and index, uniform, scaled by fan-in as
 * Kaiming-uniform is): random-looking but reproducible, so detections vary and ties are rare.
 */
function hashWeights(model: GeneralizedRcnn): void {
  const tensors = new Map<string, HostTensor>();
  for (const [name, v] of model.stateDict()) {
    const shape = torchShapeOf(v.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('num_batches_tracked')) {
      tensors.set(name, { dtype: 'I64', shape, data: new Int32Array(n) });
      continue;
    }
    const seed = fnv1a32(name);
    const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const data = new Float32Array(n);
    const scale = sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) {
      let h = (seed + imul(i, 0x9e3779b9)) >>> 0;
      h = imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
      h = imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
      const u = (((h ^ (h >>> 16)) >>> 0) / 2 ** 32) * 2 - 1;
      data[i] = name.endsWith('running_var') ? 1 + 0.25 * (u + 1) : name.endsWith('running_mean') ? 0.1 * u : shape.length >= 2 ? u * scale : name.endsWith('.weight') ? 0.6 + 0.1 * u : 0.1 * u;
    }
    tensors.set(name, { dtype: 'F32', shape, data });
  }
  loadStateDict(model, tensors, { source: 'hash weights' });
}

/** An RGB image in [0, 1]: a soft gradient with two flat rectangles (objects for the heads). */
function image(h: number, w: number): Float32Array {
  const x = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        let v = 0.3 + 0.2 * Math.sin(0.3 * y + 0.17 * c + k);
        if (y > 10 && y < 40 && c > 8 && c < 50) v = [0.9, 0.2, 0.1][k];
        if (y > 35 && y < 70 && c > 45 && c < 80) v = [0.1, 0.7, 0.9][k];
        x[(y * w + c) * 3 + k] = v;
      }
    }
  }
  return x;
}

/** Runs the command through main() (exit code, one-line errors) capturing stderr. */
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

let reference: GeneralizedRcnn;

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });

  // The preset's own architecture (the command builds the preset), with the test-time settings the command gets.
  reference = createDetector(NAME, { numClasses: CLASSES, transform: { minSize: [64], maxSize: 96 }, roiHeads: { scoreThresh: 0 } });
  hashWeights(reference);
  reference.eval();
  await exportDetectorCheckpoint(reference, weights);
}, 60_000);
afterAll(() => reference.dispose());

describe('tfvision detect: the .npy contract', () => {
  it("writes D.json and M.npy equal to the model's own detect output, leaving no tensors", async () => {
    const [h, w] = [72, 90];
    const data = image(h, w);
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, h, w, 3], data });
    const before = tf.memory().numTensors;
    const r = await cli('detect', NAME, '--weights', weights, '--input', path.join(dir, 'x.npy'), '--output', path.join(dir, 'd.json'), '--masks', path.join(dir, 'm.npy'), ...SETTINGS);
    expect(r.stderr).toMatch(/^tfvision detect: maskrcnn_resnet18_fpn \(\d+ tensors\) on .*x\.npy \[72, 90, 3\]: 100 detections → .*d\.json, masks → .*m\.npy\n$/);
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);

    const x = tf.tensor3d(data, [h, w, 3]);
    const [want] = reference.predict([x]);
    x.dispose();
    const d = JSON.parse(fs.readFileSync(path.join(dir, 'd.json'), 'utf8'));
    expect(d.scores).toEqual(Array.from(want.scores.dataSync()));
    expect(d.labels).toEqual(Array.from(want.labels.dataSync()));
    expect(d.boxes).toEqual(want.boxes.arraySync());
    expect(new Set(d.labels).size).toBeGreaterThan(1);
    expect(Math.min(...d.labels)).toBeGreaterThanOrEqual(1);
    const m = readNpy(path.join(dir, 'm.npy'));
    expect(m.dtype).toBe('F32');
    expect(m.shape).toEqual([100, h, w]);
    expect(Array.from(m.data)).toEqual(Array.from(want.masks!.dataSync()));
    tf.dispose([want.boxes, want.scores, want.labels, want.masks!]);
  }, 60_000);

  it('--score-thresh filters strictly, as box_score_thresh does', async () => {
    const all = JSON.parse(fs.readFileSync(path.join(dir, 'd.json'), 'utf8')) as { scores: number[] };
    const thresh = all.scores[9];
    writeNpy(path.join(dir, 'x3.npy'), { dtype: 'F32', shape: [72, 90, 3], data: image(72, 90) });
    const r = await cli('detect', NAME, '--weights', weights, '--input', path.join(dir, 'x3.npy'), '--output', path.join(dir, 'd3.json'), ...SETTINGS.slice(0, 4), '--score-thresh', String(thresh), '--backend', 'wasm');
    expect(r.code).toBe(0);
    const d = JSON.parse(fs.readFileSync(path.join(dir, 'd3.json'), 'utf8')) as { scores: number[] };
    expect(d.scores.length).toBeGreaterThan(0);
    expect(d.scores.every((s) => s > thresh)).toBe(true);
    // Past 9 detections the rest of the list is NMS-dependent; the first 9 are the same ones.
    expect(d.scores.slice(0, 9)).toEqual(all.scores.slice(0, 9));
  }, 60_000);

  it('errors: unknown model (exit 2, close matches), --masks on a Faster R-CNN, a checkpoint of another preset, a bad input', async () => {
    const x = path.join(dir, 'x.npy');
    const out = path.join(dir, 'e.json');
    let r = await cli('detect', 'maskrcnn_resnet18', '--weights', weights, '--input', x, '--output', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tfvision detect: detect: unknown detector "maskrcnn_resnet18" \(did you mean maskrcnn_resnet18_fpn[^)]*\?\); `tfvision model list --family detector` shows all \d+\n$/);
    r = await cli('detect', 'resnet18', '--weights', weights, '--input', x, '--output', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"resnet18" is a backbone; detect runs a detector .* e\.g\. fasterrcnn_resnet18_fpn\n$/);
    r = await cli('detect', 'fasterrcnn_resnet18_fpn', '--weights', weights, '--input', x, '--output', out, '--masks', path.join(dir, 'e.npy'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tfvision detect: detect: --masks needs a Mask R-CNN (maskrcnn_*); fasterrcnn_resnet18_fpn predicts boxes only\n');
    r = await cli('detect', 'fasterrcnn_resnet18_fpn', '--weights', weights, '--input', x, '--output', out, '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').length).toBe(2);
    expect(r.stderr).toMatch(/w\.safetensors: state dict does not match GeneralizedRcnn \(strict load, nothing assigned\): 12 unexpected \[roi_heads\.mask_head\.0\.0\.bias, .*use the maskrcnn_\* preset\n$/);
    r = await cli('detect', NAME, '--weights', weights, '--input', x, '--output', out, '--frozen-bn-eps', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tfvision detect: detect: --frozen-bn-eps must be torchvision-coco, got "0"\n');
    writeNpy(path.join(dir, 'chw.npy'), { dtype: 'F32', shape: [3, 40, 50], data: new Float32Array(6000) });
    r = await cli('detect', NAME, '--weights', weights, '--input', path.join(dir, 'chw.npy'), '--output', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chw\.npy: expected shape \[H, W, 3\] or \[1, H, W, 3\], got \[3, 40, 50\] \(it looks CHW; transpose to HWC with x\.transpose\(1, 2, 0\)\)\n$/);
    writeNpy(path.join(dir, 'int.npy'), { dtype: 'I32', shape: [40, 50, 3], data: new Int32Array(6000) });
    r = await cli('detect', NAME, '--weights', weights, '--input', path.join(dir, 'int.npy'), '--output', out);
    expect(r.stderr).toMatch(/int\.npy: expected float32 RGB in \[0, 1\], got dtype I32\n$/);
    writeNpy(path.join(dir, 'bytes.npy'), { dtype: 'F32', shape: [40, 50, 3], data: new Float32Array(6000).fill(255) });
    r = await cli('detect', NAME, '--weights', weights, '--input', path.join(dir, 'bytes.npy'), '--output', out);
    expect(r.stderr).toMatch(/bytes\.npy: values reach 255; expected RGB in \[0, 1\] \(divide 0-255 images by 255\)\n$/);
    expect(fs.existsSync(out)).toBe(false);
  }, 60_000);
});

describe('tfvision detect: image files', () => {
  it('a folder of synthetic COCO images: COCO box and mask results loadRes reads, eval accepts, and PNG drawings at each image size', async () => {
    const data = path.join(dir, 'synth');
    const synth = await generateSyntheticCoco({ outDir: data, images: 2, seed: 5, size: 64 });
    const results = path.join(dir, 'r.json');
    const segm = path.join(dir, 's.json');
    const drawn = path.join(dir, 'drawn');
    const before = tf.memory().numTensors;
    const r = await cli('detect', NAME, '--weights', weights, synth.imageDir, '--gt', synth.annotationFile, '--coco-results', results, '--coco-segm-results', segm, '--draw', drawn, '--draw-thresh', '0', ...SETTINGS);
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.stderr).toMatch(/detect: 1\/2 images \(\d+\.\d\d images\/s, ETA \d+ s\)\n/);
    expect(r.stderr).toMatch(/detect: 2\/2 images .*\ntfvision detect: maskrcnn_resnet18_fpn on 2 images: 200 box results → .*r\.json, 200 mask results → .*s\.json, drawings → .*drawn\n$/);

    const gt = await readCocoFile(synth.annotationFile);
    const boxes = JSON.parse(fs.readFileSync(results, 'utf8')) as CocoResult[];
    const masks = JSON.parse(fs.readFileSync(segm, 'utf8')) as CocoResult[];
    const loaded = loadRes(gt, boxes, 'r.json');
    expect(loaded.annotations.length).toBe(200);
    expect(loadRes(gt, masks, 's.json').annotations.length).toBe(200);
    expect(new Set(boxes.map((b) => b.image_id))).toEqual(new Set(gt.images.map((im) => im.id)));
    // Labels 1..5 map onto the synthetic categories sorted by id.
    const catIds = new Set(gt.categories.map((c) => c.id));
    expect(boxes.every((b) => catIds.has(b.category_id))).toBe(true);
    expect(masks[0]).toMatchObject({ image_id: boxes[0].image_id, category_id: boxes[0].category_id, score: boxes[0].score, segmentation: { size: [expect.any(Number), expect.any(Number)], counts: expect.any(String) } });
    expect(masks[0].bbox).toBeUndefined();

    for (const im of gt.images) {
      const png = path.join(drawn, `${path.basename(im.file_name, path.extname(im.file_name))}.png`);
      const meta = await sharp(png).metadata();
      expect({ file: im.file_name, format: meta.format, width: meta.width, height: meta.height }).toEqual({ file: im.file_name, format: 'png', width: im.width, height: im.height });
      // Drawn over: the PNG differs from the image.
      const [a, b] = await Promise.all([sharp(png).removeAlpha().raw().toBuffer(), sharp(path.join(synth.imageDir, path.basename(im.file_name))).removeAlpha().raw().toBuffer()]);
      expect(a.equals(b)).toBe(false);
    }

    const evalOut: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      evalOut.push(String(c));
      return true;
    });
    try {
      expect(await main(['eval', 'coco', '--gt', synth.annotationFile, '--dt', results, '--iou-type', 'bbox', '--json'])).toBe(0);
      expect(await main(['eval', 'coco', '--gt', synth.annotationFile, '--dt', segm, '--iou-type', 'segm', '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    for (const line of evalOut) expect(JSON.parse(line).stats).toHaveLength(12);
  }, 120_000);

  it('--images with --batch 2 and --output: per-image detections in the given order; an image folder needs something to write', async () => {
    const data = path.join(dir, 'synth');
    const files = fs.readdirSync(path.join(data, 'images')).sort().map((f) => path.join(data, 'images', f));
    const out = path.join(dir, 'per-image.json');
    // A high threshold keeps few detections: the mask head's cost is per detection.
    const r = await cli('detect', NAME, '--weights', weights, '--images', files[1], files[0], '--output', out, '--batch', '2', ...SETTINGS.slice(0, 4), '--score-thresh', '0.95', '--backend', 'wasm');
    expect(r.stderr).toMatch(/^detect: 2\/2 images /);
    expect(r.code).toBe(0);
    const list = JSON.parse(fs.readFileSync(out, 'utf8')) as { file: string; width: number; height: number; boxes: number[][]; scores: number[]; labels: number[] }[];
    expect(list.map((d) => [d.file, d.width, d.height])).toEqual([[files[1], 64, expect.any(Number)], [files[0], 64, expect.any(Number)]]);
    for (const d of list) {
      expect(d.scores.every((v) => v > 0.95)).toBe(true);
      expect(d.boxes.length).toBe(d.scores.length);
      expect(d.labels.length).toBe(d.scores.length);
    }
    const none = await cli('detect', NAME, '--weights', weights, files[0]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('tfvision detect: detect: nothing to write: give --coco-results, --coco-segm-results, --draw or --output\n');
  }, 60_000);
});

describe('tfvision detect --help', () => {
  it('names the contract and the image options', () => {
    expect(detectCommand.help).toMatch(/--input X\.npy {6}float32 \[H, W, 3\] or \[1, H, W, 3\], RGB in \[0, 1\]/);
    expect(detectCommand.help).toMatch(/--coco-results R\.json/);
  });
});
