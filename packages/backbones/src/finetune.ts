/**
 * Fine-tuning preparation with the backbone's own freezing vocabulary (FreezeOptions: `norm`,
 * `frozenStages`, `linearProbe`), as detectron2/mmdetection configs freeze a pretrained body.
 */
import { checkOptionKeys, FREEZE_OPTION_KEYS, type Backbone, type FreezeOptions } from './backbone.js';
import { applyFreezeOptions, checkFreezeOptions, countFrozenBatchNorms } from './freeze-policy.js';

export interface FineTuneSummary {
  trainable: string[];
  frozen: string[];
  /** BatchNorms of the model that are frozen after the call. */
  frozenBatchNorms: number;
}

/**
 * Prepares a backbone for fine-tuning with the same keys createBackbone takes, and returns
 * which parameters stay trainable. Frozen parameters are left out of `trainableParameters()`
 * (pass those to the optimiser) and frozen BatchNorms use their running statistics and never
 * update them, in train() and eval() alike. Freezing only accumulates: what the constructor
 * froze stays frozen.
 */
export function prepareFineTuning(model: Backbone, options: FreezeOptions = {}): FineTuneSummary {
  checkOptionKeys('prepareFineTuning', options, FREEZE_OPTION_KEYS);
  checkFreezeOptions(model, options, 'prepareFineTuning');
  applyFreezeOptions(model, options);
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const [name, v] of model.namedParameters()) (v.trainable ? trainable : frozen).push(name);
  return { trainable, frozen, frozenBatchNorms: countFrozenBatchNorms(model) };
}
