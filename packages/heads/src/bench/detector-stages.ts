/**
 * GeneralizedRcnn.predict split into timed stages, for detector.bench.ts: the same children
 * called in the same order as predict() and RoIHeads' inference path (torchvision 0.14
 * GeneralizedRCNN.forward and RoIHeads.forward in eval mode), with the wall time of each
 * stage. The bench checks that this path gives predict()'s detections, so a change to predict()
 * that this mirror misses shows up as a mismatch instead of a silently wrong profile.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GeneralizedRcnn } from '../detectors/generalized-rcnn.js';
import { pickClassChannel } from '../roi-heads/mask-rcnn-loss.js';
import { postprocessDetections } from '../roi-heads/postprocess-detections.js';
import { disposeInstances, type Detections } from '../structures/instances.js';

export const STAGES = ['transform', 'backbone', 'fpn', 'rpn', 'roiBox', 'boxPostprocess', 'roiMask', 'postprocess'] as const;
export type Stage = (typeof STAGES)[number];
export type StageTimes = Record<Stage, number>;

/**
 * Waits for `tensors` to be computed. wasm and cpu run kernels synchronously, so their wall
 * time is already the compute time; other backends queue work, and reading one element of
 * each output waits for it without copying whole feature maps to the host.
 */
export async function settle(tensors: readonly tf.Tensor[]): Promise<void> {
  const name = tf.getBackend();
  if (name === 'wasm' || name === 'cpu') return;
  for (const t of tensors) {
    if (t.size === 0) continue;
    const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
    await one.data();
    one.dispose();
  }
}

/** predict() on one batch, stage by stage: the detections and the milliseconds of each stage. */
export async function detectByStage(model: GeneralizedRcnn, images: readonly tf.Tensor3D[]): Promise<{ detections: Detections[]; ms: StageTimes; proposals: number[] }> {
  const ms = Object.fromEntries(STAGES.map((s) => [s, 0])) as StageTimes;
  let t0 = performance.now();
  const lap = (stage: Stage) => {
    const t = performance.now();
    ms[stage] = t - t0;
    t0 = t;
  };
  const { images: batch, originalSizes } = model.transform.forward(images);
  await settle([batch.tensor]);
  lap('transform');
  const body = model.backbone.body.forwardFeatures(batch.tensor, model.backbone.inFeatures) as Record<string, tf.Tensor4D>;
  await settle(Object.values(body));
  lap('backbone');
  const features = model.backbone.fpn.forward(body);
  tf.dispose(Object.values(body));
  await settle(Object.values(features));
  lap('fpn');
  const { proposals, scores } = model.rpn.forward(batch, features);
  tf.dispose(scores);
  await settle(proposals);
  const proposalCounts = proposals.map((p) => p.shape[0]);
  lap('rpn');
  const rh = model.roiHeads;
  const [classLogits, boxDeltas] = tf.tidy(() => {
    const pooled = rh.boxRoiPool.forward(features, proposals, batch.imageSizes);
    const out = rh.boxPredictor.forward(rh.boxHead.forward(pooled));
    return [out.classLogits, out.boxDeltas];
  });
  await settle([classLogits, boxDeltas]);
  lap('roiBox');
  const host = postprocessDetections(classLogits, boxDeltas, proposals, batch.imageSizes, { boxCoder: rh.boxCoder, scoreThresh: rh.scoreThresh, nmsThresh: rh.nmsThresh, detectionsPerImg: rh.detectionsPerImg });
  tf.dispose([classLogits, boxDeltas, ...proposals]);
  const inResized: Detections[] = host.map((h) => ({ boxes: tf.tensor2d(h.boxes, [h.scores.length, 4]), scores: tf.tensor1d(h.scores, 'float32'), labels: tf.tensor1d(h.labels, 'int32') }));
  lap('boxPostprocess');
  if (rh.hasMask && rh.maskRoiPool && rh.maskHead && rh.maskPredictor) {
    const { maskRoiPool, maskHead, maskPredictor } = rh;
    const counts = host.map((h) => h.labels.length);
    const total = counts.reduce((a, b) => a + b, 0);
    const side = 2 * maskRoiPool.outputSize[0];
    if (total === 0) inResized.forEach((d) => (d.masks = tf.tensor3d(new Float32Array(0), [0, side, side])));
    else {
      const labels = new Int32Array(total);
      let at = 0;
      for (const h of host) {
        labels.set(h.labels, at);
        at += h.labels.length;
      }
      const probs = tf.tidy(() => {
        const pooled = maskRoiPool.forward(features, inResized.map((d) => d.boxes), batch.imageSizes);
        return pickClassChannel(tf.sigmoid(maskPredictor.forward(maskHead.forward(pooled))), labels);
      });
      at = 0;
      inResized.forEach((d, i) => {
        d.masks = tf.slice(probs, [at, 0, 0], [counts[i], -1, -1]);
        at += counts[i];
      });
      probs.dispose();
    }
    await settle(inResized.map((d) => d.masks as tf.Tensor3D));
  }
  tf.dispose(Object.values(features));
  lap('roiMask');
  const detections = model.transform.postprocess(inResized, batch.imageSizes, originalSizes);
  for (const d of inResized) disposeInstances(d);
  batch.tensor.dispose();
  await settle(detections.flatMap((d) => [d.boxes, ...(d.masks ? [d.masks] : [])]));
  lap('postprocess');
  return { detections, ms, proposals: proposalCounts };
}

/** What tf.profile resolves to (tfjs-core does not export the type). */
type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

/**
 * Kernels of one profiled call, summed by name: count and total ms, largest first. tf.profile
 * also records custom-gradient op scopes (`fusedConv2d__op`) around the kernels they run; those
 * are counted apart (`scopes`), as their time is already in their kernels'.
 */
export interface KernelSummary {
  kernels: number;
  kernelMs: number;
  top: { name: string; count: number; ms: number }[];
  scopes: { name: string; count: number; ms: number }[];
}

export function summariseKernels(info: ProfileInfo, topN: number): KernelSummary {
  const backend = tf.getBackend();
  const kernels = new Map<string, { count: number; ms: number }>();
  const scopes = new Map<string, { count: number; ms: number }>();
  let count = 0;
  let total = 0;
  for (const k of info.kernels) {
    // Backends without a kernel timer report an error object instead of a number.
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const isKernel = tf.getKernel(k.name, backend) !== undefined;
    const into = isKernel ? kernels : scopes;
    const entry = into.get(k.name) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += ms;
    into.set(k.name, entry);
    if (isKernel) {
      count++;
      total += ms;
    }
  }
  const largest = (m: Map<string, { count: number; ms: number }>) =>
    [...m.entries()]
      .map(([name, e]) => ({ name, count: e.count, ms: Math.round(e.ms * 10) / 10 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topN);
  return { kernels: count, kernelMs: Math.round(total * 10) / 10, top: largest(kernels), scopes: largest(scopes) };
}
