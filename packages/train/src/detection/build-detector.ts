/**
 * Builds a detector of either family from its config with the training streams of a run: the
 * random initialisation drawn from `seed` (tfjs seeds unseeded initialisers from Math.random), so
 * two runs of one config start from the same weights; the samplers' permutations and, given
 * StepRandomSources, the multi-scale resize drawing from per-step streams.
 */
import { CascadeRcnn, GeneralizedRcnn, type CascadeRcnnConfig, type RcnnConfig } from '@tfvision/heads';
import { withMathRandom } from '@tfvision/nn';
import { Rng } from '../rng.js';
import type { DetectorConfig } from './detection-config.js';
import { StepRandomSources } from './step-resize-random.js';
import type { StepRandperm } from './step-randperm.js';
import { isCascadeType } from './trainable-detector.js';

/**
 * Builds the detector with its random initialisation drawn from `seed` (tfjs seeds unseeded
 * initialisers from Math.random), so two runs of one config start from the same weights. Given
 * StepRandomSources, the multi-scale resize draws from its per-step stream too.
 */
export function buildSeeded(config: RcnnConfig, randperm: StepRandperm, seed: number): GeneralizedRcnn;
export function buildSeeded(config: CascadeRcnnConfig, randperm: StepRandperm, seed: number): CascadeRcnn;
export function buildSeeded(config: DetectorConfig, randperm: StepRandperm, seed: number): GeneralizedRcnn | CascadeRcnn;
export function buildSeeded(config: DetectorConfig, randperm: StepRandperm, seed: number): GeneralizedRcnn | CascadeRcnn {
  const rng = new Rng(seed).fork(0xc0ffee);
  const resizeRandom = randperm instanceof StepRandomSources ? randperm.resizeRandom : undefined;
  return withMathRandom(
    () => rng.next(),
    () => {
      if (isCascadeType(config.type)) {
        const c = config as CascadeRcnnConfig;
        // CascadeRcnn hands config.transform to Detectron2Transform whole, whose `random` option is the training draw
        // (build-detector.test.ts checks the sizes follow the step stream).
        const transform: CascadeRcnnConfig['transform'] & { random?: () => number } = resizeRandom ? { ...c.transform, random: resizeRandom } : c.transform;
        return new CascadeRcnn({ ...c, transform }, { randperm: randperm.source });
      }
      const model = new GeneralizedRcnn(config as RcnnConfig, { randperm: randperm.source });
      if (resizeRandom) model.transform.setRandom(resizeRandom);
      return model;
    },
  );
}
