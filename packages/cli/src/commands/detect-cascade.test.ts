import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setInitSeed, writeNpy, writeSafetensors } from '@tfvision/nn';
import { createCascadeDetector, exportDetectron2StateDict, type CascadeRcnn } from '@tfvision/heads';
import { main } from '../main.js';

// A detectron2-layout Cascade R-CNN through `tfvision detect`: its checkpoint names, its
// test-time settings (MIN_SIZE_TEST, MAX_SIZE_TEST, SCORE_THRESH_TEST) and drawn images.
const NAME = 'cascade_rcnn_resnet18_fpn';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-detect-cascade-'));
const weights = path.join(dir, 'w.safetensors');
let model: CascadeRcnn;

function image(h: number, w: number): Float32Array {
  const x = new Float32Array(h * w * 3);
  for (let i = 0; i < x.length; i++) x[i] = 0.3 + 0.2 * Math.sin(0.37 * i);
  for (let y = 10; y < 40; y++) for (let c = 8; c < 50; c++) x.set([0.9, 0.2, 0.1], (y * w + c) * 3);
  return x;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
  setInitSeed(11);
  model = createCascadeDetector(NAME, { numClasses: 5, transform: { minSizeTest: 64, maxSizeTest: 96 }, roiHeads: { scoreThresh: 0 } });
  setInitSeed(undefined);
  model.eval();
  writeSafetensors(weights, await exportDetectron2StateDict(model));
});
afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tfvision detect with a Cascade R-CNN preset', () => {
  it('the .npy contract gives the model\'s own detections (detectron2 names, 5 classes read from the checkpoint)', async () => {
    const [h, w] = [60, 84];
    const data = image(h, w);
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [h, w, 3], data });
    const out = path.join(dir, 'd.json');
    expect(await main(['detect', NAME, '--weights', weights, '--input', path.join(dir, 'x.npy'), '--output', out, '--min-size', '64', '--max-size', '96', '--score-thresh', '0', '--backend', 'wasm'])).toBe(0);
    const got = JSON.parse(fs.readFileSync(out, 'utf8')) as { boxes: number[][]; scores: number[]; labels: number[] };
    const x = tf.tensor3d(data, [h, w, 3]);
    const [d] = model.predict([x]);
    expect(got.labels).toEqual(Array.from(d.labels.dataSync()));
    expect(got.scores).toEqual(Array.from(d.scores.dataSync()));
    expect(got.boxes.length).toBeGreaterThan(0);
    tf.dispose([x, d.boxes, d.scores, d.labels]);
  });

  it('an image file in, a drawing of the same size out', async () => {
    const png = path.join(dir, 'img.png');
    const [h, w] = [50, 70];
    const px = Buffer.from(Array.from(image(h, w), (v) => Math.round(v * 255)));
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(png);
    const draw = path.join(dir, 'draw');
    expect(await main(['detect', NAME, '--weights', weights, png, '--draw', draw, '--min-size', '64', '--max-size', '96', '--backend', 'wasm'])).toBe(0);
    const drawn = fs.readdirSync(draw);
    expect(drawn).toHaveLength(1);
    const meta = await sharp(path.join(draw, drawn[0])).metadata();
    expect([meta.width, meta.height]).toEqual([w, h]);
  });
});
