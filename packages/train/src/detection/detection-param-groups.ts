/**
 * Weight decay per parameter as detectron2's get_default_optimizer_params (solver/build.py):
 * WEIGHT_DECAY on every trainable weight, WEIGHT_DECAY_NORM (0 in the recipes) on normalisation
 * scales and shifts (BatchNorm, GroupNorm), WEIGHT_DECAY_BIAS (= WEIGHT_DECAY by default) on the
 * biases of convolutions and linear layers. Frozen parameters (frozen BN, frozen stages) are not
 * trainable and are left out, so they are never updated or decayed.
 */
import { BatchNorm2d, GroupNorm, type Module } from '@tfvision/nn';
import type { ParamEntry } from '../optim/index.js';

export interface DetectionDecayOptions {
  weightDecay: number;
  /** Decay of norm layers' parameters. Default 0. */
  weightDecayNorm?: number;
  /** Decay of conv/linear biases. Default weightDecay. */
  weightDecayBias?: number;
}

export function detectionParamGroups(model: Module, o: DetectionDecayOptions): ParamEntry[] {
  const normParams = new Set<string>();
  for (const [prefix, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d || m instanceof GroupNorm) for (const [n] of m.namedParameters(prefix)) normParams.add(n);
  }
  const wdNorm = o.weightDecayNorm ?? 0;
  const wdBias = o.weightDecayBias ?? o.weightDecay;
  return model
    .namedParameters()
    .filter(([, v]) => v.trainable)
    .map(([name, variable]) => {
      const weightDecay = normParams.has(name) ? wdNorm : name === 'bias' || name.endsWith('.bias') ? wdBias : o.weightDecay;
      return { name, variable, weightDecay };
    });
}
