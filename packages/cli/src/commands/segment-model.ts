/**
 * A registered segmenter built to fit its checkpoint and loaded strictly, for `tfvision segment`
 * and `tfvision eval seg`: the class count and (torchvision layout) the auxiliary head are read
 * from the file, the rest is the preset's; the preset's backbone gives the normalisation
 * (timm's pretrained mean/std, ImageNet's for every backbone of the zoo).
 */
import { readSafetensors } from '@tfvision/nn';
import type { Segmenter, SegmenterOverrides } from '@tfvision/heads';
import { UsageError } from '../command.js';
import { classMap, normaliseImage } from './segment-io.js';

export interface LoadedSegmenter {
  model: Segmenter;
  /** The preset's per-channel mean and std on [0, 1] RGB. */
  mean: readonly number[];
  std: readonly number[];
  loadedTensors: number;
  notes: string[];
}

/** A registered segmenter name, else a usage error listing close names. */
export async function checkSegmenterName(name: string | undefined, command: string): Promise<string> {
  if (!name) throw new UsageError(`${command}: NAME is required (see \`tfvision model list --family segmenter\`), e.g. deeplabv3_resnet50`);
  const { getSegmenterEntry } = await import('@tfvision/heads');
  try {
    getSegmenterEntry(name);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  return name;
}

export async function loadSegmenter(name: string, weights: string): Promise<LoadedSegmenter> {
  const { createSegmenter, getSegmenterEntry, loadSegmenterCheckpoint, segmenterCheckpointShape } = await import('@tfvision/heads');
  const { getModelEntry } = await import('@tfvision/backbones');
  const entry = getSegmenterEntry(name);
  const type = entry.config().type;
  const tensors = readSafetensors(weights).tensors;
  const found = segmenterCheckpointShape(tensors, type);
  const overrides: SegmenterOverrides = { ...(found.numClasses !== undefined ? { numClasses: found.numClasses } : {}), ...(found.aux !== undefined ? { aux: found.aux } : {}) };
  const model = createSegmenter(name, overrides);
  try {
    const result = loadSegmenterCheckpoint(model, tensors, { source: weights });
    model.eval();
    const cfg = getModelEntry(entry.backbone).defaultCfg;
    return { model, mean: cfg.mean, std: cfg.std, loadedTensors: result.loaded.length, notes: result.notes };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The class map of one 0-255 RGB image: normalised, padded to the model's side multiple, `out` logits, argmax over the unpadded pixels. */
export async function segmentImage(s: LoadedSegmenter, rgb: Uint8Array, height: number, width: number): Promise<Uint8Array> {
  const tf = await import('@tensorflow/tfjs-core');
  const x = normaliseImage(rgb, height, width, s.mean, s.std, s.model.sideMultiple);
  const input = tf.tensor4d(x.data, [1, x.height, x.width, 3]);
  let out;
  try {
    out = s.model.forward(input);
  } finally {
    input.dispose();
  }
  try {
    return await classMap(out.out, height, width);
  } finally {
    tf.dispose([out.out, ...(out.aux ? [out.aux] : [])]);
  }
}
