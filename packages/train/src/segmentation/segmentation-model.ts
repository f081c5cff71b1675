/**
 * The segmenter a config trains, as torchvision's segmentation reference builds it
 * (references/segmentation/train.py): the preset with numClasses from the data, its random
 * initialisation drawn from the run's seed (tfjs seeds unseeded initialisers from Math.random,
 * so two runs of one config start from the same weights), the backbone's ImageNet checkpoint
 * when the config names one (weights_backbone), and the optimiser's parameter groups: every
 * trainable parameter at the base rate with the same weight decay (the reference does not
 * exempt norms or biases), the auxiliary classifier at `auxLrMultiplier` times the rate (10).
 */
import { getModelEntry, loadCheckpoint, type Backbone } from '@tfvision/backbones';
import { createSegmenter, DeepLabV3, DeepLabV3Plus, type Segmenter, type SegmenterOverrides } from '@tfvision/heads';
import { withMathRandom } from '@tfvision/nn';
import type { ParamEntry } from '../optim/index.js';
import { Rng } from '../rng.js';
import { backboneWeightsPath } from '../config/backbone-weights.js';
import { configSource } from '../config/load.js';
import { ConfigError } from '../config/schema.js';
import { segmentationModelConfig, segmentationPresetName, type SegmentationTrainConfig } from './segmentation-config.js';

export interface BuiltSegmenter {
  model: Segmenter;
  presetName: string;
  /** The backbone's normalisation (timm's pretrained cfg: ImageNet's for the zoo). */
  mean: readonly number[];
  std: readonly number[];
  /** What loading model.backbone.weights reported (empty without weights). */
  notes: string[];
}

/** The backbone inside a segmenter (DeepLabV3's `backbone`, DeepLabV3+'s encoder body). */
export function segmenterBackbone(model: Segmenter): Backbone {
  if (model instanceof DeepLabV3) return model.backbone;
  if (model instanceof DeepLabV3Plus) return model.body;
  throw new Error(`segmenterBackbone: unknown segmenter class ${model.constructor.name}`);
}

export function buildSegmenter(c: SegmentationTrainConfig, numClasses: number, source = configSource(c), cwd = process.cwd()): BuiltSegmenter {
  const weights = backboneWeightsPath(c, source, cwd);
  const presetName = segmentationPresetName(c);
  const { type: _t, ...overrides } = segmentationModelConfig(c, numClasses, source);
  const rng = new Rng(c.seed).fork(0xc0ffee);
  const model = withMathRandom(() => rng.next(), () => createSegmenter(presetName, overrides as SegmenterOverrides));
  const notes: string[] = [];
  if (weights !== undefined) {
    try {
      const r = loadCheckpoint(segmenterBackbone(model), c.model.backbone.name, weights, { classifier: 'drop', source: weights });
      notes.push(`loaded ${r.loaded.length} backbone tensors from ${weights} (${r.format} names)`, ...r.notes);
    } catch (err) {
      model.dispose();
      throw new ConfigError(`${source}: model.backbone.weights: ${(err as Error).message}`);
    }
  }
  const cfg = getModelEntry(c.model.backbone.name).defaultCfg;
  return { model, presetName, mean: cfg.mean, std: cfg.std, notes };
}

/** torchvision's groups: backbone and classifier at lr, aux_classifier at lr x auxLrMultiplier; weight decay on all. */
export function segmentationParamGroups(model: Segmenter, o: { weightDecay: number; auxLrMultiplier: number }): ParamEntry[] {
  return model
    .namedParameters()
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => ({ name, variable, weightDecay: o.weightDecay, ...(name.startsWith('aux_classifier.') && o.auxLrMultiplier !== 1 ? { lrMult: o.auxLrMultiplier } : {}) }));
}
