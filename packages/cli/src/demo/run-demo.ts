import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, initBackend, setInitSeed } from '@tfvision/nn';
import { createBackbone } from '@tfvision/backbones';
import { generateSyntheticCoco } from '@tfvision/coco';
import { topKAccuracy } from '@tfvision/eval';
import { cropObjects } from './crops.js';

export interface DemoOptions {
  model: string;
  steps: number;
  images: number;
  size: number;
  seed: number;
  backend?: string;
  dataDir: string;
  log: (line: string) => void;
}

export interface DemoResult {
  backend: string;
  losses: number[];
  lossFell: boolean;
  heldOutTop1: number;
}

/** Mean of the first and last quarter of a loss curve: robust to per-batch noise. */
function quarterMeans(losses: number[]): [number, number] {
  const q = Math.max(1, Math.floor(losses.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [mean(losses.slice(0, q)), mean(losses.slice(-q))];
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const backend = await initBackend({ backend: o.backend });
  o.log(`backend: ${backend.name}`);
  const synth = await generateSyntheticCoco({ outDir: o.dataDir, images: o.images, seed: o.seed, size: 96 });
  const crops = await cropObjects(synth.dataset, synth.imageDir, o.size);
  const nTrain = Math.floor(crops.count * 0.8);
  o.log(`data: ${o.images} synthetic images → ${crops.count} object crops (${nTrain} train, ${crops.count - nTrain} held out), classes ${crops.classNames.join(', ')}`);

  setInitSeed(o.seed + 1);
  const model = createBackbone(o.model, { numClasses: crops.classNames.length });
  o.log(`model: ${o.model}, ${model.numParameters().toLocaleString('en-US')} parameters, input ${o.size}x${o.size}`);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const batch = 16;
  const pix = o.size * o.size * 3;
  const losses: number[] = [];
  const started = Date.now();
  model.train();
  for (let step = 0; step < o.steps; step++) {
    const idx = Array.from({ length: batch }, (_, i) => (step * batch + i) % nTrain);
    const xb = new Float32Array(batch * pix);
    const yb = new Int32Array(batch);
    idx.forEach((j, i) => {
      xb.set(crops.pixels.subarray(j * pix, (j + 1) * pix), i * pix);
      yb[i] = crops.labels[j];
    });
    const loss = tf.tidy(() => {
      const x = tf.tensor4d(xb, [batch, o.size, o.size, 3]);
      return optimizer.minimize(() => crossEntropy(model.forward(x) as tf.Tensor2D, yb), true, model.trainableParameters()) as tf.Scalar;
    });
    const value = (await loss.data())[0];
    loss.dispose();
    losses.push(value);
    const rate = ((step + 1) * batch) / ((Date.now() - started) / 1000);
    o.log(`step ${String(step + 1).padStart(3)}/${o.steps}  loss ${value.toFixed(4)}  ${rate.toFixed(1)} img/s`);
  }
  optimizer.dispose();

  model.eval();
  const nHeld = crops.count - nTrain;
  const logits = tf.tidy(() => model.forward(tf.tensor4d(crops.pixels.subarray(nTrain * pix), [nHeld, o.size, o.size, 3])));
  const scores = await logits.data();
  logits.dispose();
  const heldOutTop1 = topKAccuracy(scores as Float32Array, crops.labels.subarray(nTrain), crops.classNames.length, 1);
  const [first, last] = quarterMeans(losses);
  const lossFell = last < first;
  o.log(`loss: first quarter mean ${first.toFixed(4)} → last quarter mean ${last.toFixed(4)} (${lossFell ? 'falling' : 'NOT falling'})`);
  o.log(`held-out top-1 accuracy: ${(heldOutTop1 * 100).toFixed(1)}% over ${nHeld} crops (chance ${(100 / crops.classNames.length).toFixed(1)}%)`);
  model.dispose();
  return { backend: backend.name, losses, lossFell, heldOutTop1 };
}
