import { freezeBatchNorm } from '@tfvision/nn';
import type { Backbone } from './backbone.js';

export interface FineTuneOptions {
  /**
   * Freeze the stem and the first N stages (mmdetection's frozen_stages; detectron2's
   * FREEZE_AT = N + 1). -1 or absent freezes nothing.
   */
  frozenStages?: number;
  /**
   * BatchNorm: 'all' (detectron2's FrozenBN everywhere: running statistics and fixed affine
   * parameters, never updated; the usual choice when batches per GPU are small),
   * 'frozen-stages' (only inside the frozen stages, the default), or 'none'.
   */
  frozenBn?: 'all' | 'frozen-stages' | 'none';
  /** Also freeze the whole backbone except the classifier (linear probing). */
  linearProbe?: boolean;
}

export interface FineTuneSummary {
  trainable: string[];
  frozen: string[];
  frozenBatchNorms: number;
}

interface Freezable {
  freezeStages(n: number): void;
}

/**
 * Prepares a backbone for fine-tuning: freezes stages and BatchNorm as detectron2/mmdetection
 * configs do, and returns which parameters stay trainable. Frozen parameters are left out of
 * `trainableParameters()` (pass those to the optimiser) and frozen BatchNorms use their
 * running statistics and never update them, in train() and eval() alike.
 */
export function prepareFineTuning(model: Backbone, options: FineTuneOptions = {}): FineTuneSummary {
  const stages = options.frozenStages ?? -1;
  let frozenBatchNorms = 0;
  if (stages >= 0) {
    const freezable = model as unknown as Partial<Freezable>;
    if (typeof freezable.freezeStages !== 'function') throw new Error(`prepareFineTuning: ${model.constructor.name} cannot freeze stages`);
    freezable.freezeStages(stages);
  }
  const bn = options.frozenBn ?? 'frozen-stages';
  if (bn === 'all') frozenBatchNorms = freezeBatchNorm(model);
  if (options.linearProbe) {
    const classifier = model.pretrainedCfg.classifier;
    for (const [name, v] of model.namedParameters()) if (!name.startsWith(`${classifier}.`)) v.trainable = false;
    frozenBatchNorms = freezeBatchNorm(model);
  }
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const [name, v] of model.namedParameters()) (v.trainable ? trainable : frozen).push(name);
  return { trainable, frozen, frozenBatchNorms };
}
