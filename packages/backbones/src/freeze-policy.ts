/**
 * The one norm-and-freezing policy (detectron2's NORM + FREEZE_AT, mmdetection's
 * frozen_stages + norm_eval): applied by every backbone's constructor and by
 * prepareFineTuning, so both take the same keys with the same meaning. It only adds freezing:
 * nothing frozen before is thawed.
 */
import { BatchNorm2d, freezeBatchNorm } from '@tfvision/nn';
import type { Backbone, FreezeOptions } from './backbone.js';

const NORMS = ['bn', 'frozen_bn'];

/** Checks a policy against a model, naming the bad key and value; `where` prefixes the error. */
export function checkFreezeOptions(model: Backbone, o: FreezeOptions, where: string): void {
  if (o.norm !== undefined && !NORMS.includes(o.norm)) {
    const why = (o.norm as string) === 'gn' ? ' ("gn" is for heads; backbones use BatchNorm)' : '';
    throw new Error(`${where}: norm must be "bn" or "frozen_bn", got ${JSON.stringify(o.norm)}${why}`);
  }
  const n = o.frozenStages;
  if (n !== undefined && !(Number.isInteger(n) && n >= -1 && n <= model.stages.length)) {
    throw new Error(`${where}: frozenStages must be an integer in -1..${model.stages.length}, got ${n}`);
  }
  if (o.linearProbe !== undefined && typeof o.linearProbe !== 'boolean') throw new Error(`${where}: linearProbe must be a boolean, got ${JSON.stringify(o.linearProbe)}`);
  if (o.linearProbe && model.numClasses === 0) throw new Error(`${where}: linearProbe needs a classifier, but the model was built with numClasses 0`);
}

/** Applies the policy to `model` (after checkFreezeOptions). */
export function applyFreezeOptions(model: Backbone, o: FreezeOptions): void {
  if (o.frozenStages !== undefined) model.freezeStages(o.frozenStages);
  if (o.norm === 'frozen_bn') freezeBatchNorm(model);
  if (o.linearProbe) {
    const classifier = `${model.pretrainedCfg.classifier}.`;
    for (const [name, v] of model.namedParameters()) if (!name.startsWith(classifier)) v.trainable = false;
    freezeBatchNorm(model);
  }
}

/** How many BatchNorms of `model` are frozen. */
export function countFrozenBatchNorms(model: Backbone): number {
  return model.namedModules().filter(([, m]) => m instanceof BatchNorm2d && m.frozen).length;
}
